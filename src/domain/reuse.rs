//! Lists kept from one request for the next in a bulk run. A request's lists borrow from its
//! text, so a list cannot outlive it as it is; emptied, it can be kept as a list of the same
//! items for another lifetime, with its allocation.

/// `list` emptied, with its allocation, as a list of `U`: items that differ only in their
/// lifetime, so that the standard library collects in place and keeps the allocation.
pub(super) fn emptied<T, U>(mut list: Vec<T>) -> Vec<U> {
    list.clear();
    list.into_iter()
        .map(|_| unreachable!("the list was emptied"))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_emptied_list_keeps_its_allocation() {
        let text = String::from("borrowed");
        let mut words: Vec<&str> = Vec::with_capacity(16);
        words.push(&text);
        let pointer = words.as_ptr() as usize;
        let kept: Vec<&'static str> = emptied(words);
        assert!(kept.is_empty());
        assert_eq!(kept.capacity(), 16);
        assert_eq!(kept.as_ptr() as usize, pointer, "the same allocation");
    }
}

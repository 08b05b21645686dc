//! Lenient leaves for the request types: a field's JSON value is kept as it came (missing,
//! `null`, of the expected kind, or of another kind) instead of failing the whole parse, so
//! that validation can report every field at once. Only the shape of the document itself
//! (malformed JSON, an unknown or repeated key) stops the parse.

use std::borrow::Cow;
use std::fmt;
use std::marker::PhantomData;

use serde::de::value::{MapAccessDeserializer, SeqAccessDeserializer};
use serde::de::{self, Deserialize, Deserializer, IgnoredAny, MapAccess, SeqAccess, Visitor};
use validator::{Validate, ValidationErrors};

/// The kinds of JSON value a field can hold; `Fraction` is a number that is not an integer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Text,
    Integer,
    Fraction,
    Bool,
    List,
    Object,
}

/// The kind of JSON value a leaf type is read from.
pub trait Expected {
    const KIND: Kind;
}

impl Expected for i64 {
    const KIND: Kind = Kind::Integer;
}

impl Expected for bool {
    const KIND: Kind = Kind::Bool;
}

impl<T> Expected for Vec<T> {
    const KIND: Kind = Kind::List;
}

/// A field as the request gave it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub enum Given<T> {
    #[default]
    Missing,
    Null,
    Value(T),
    /// A value of another kind; for text, whether it held full-width digits (people type them
    /// in numbers and dates).
    Wrong {
        found: Kind,
        full_width_digits: bool,
    },
}

impl<T> Given<T> {
    pub fn value(&self) -> Option<&T> {
        match self {
            Given::Value(value) => Some(value),
            _ => None,
        }
    }
}

/// Leaves of a request built in memory (from a stored application), written as a posted
/// document would write them.
impl<'a> Given<Text<'a>> {
    pub fn text(value: &'a str) -> Self {
        Given::Value(Text(Cow::Borrowed(value)))
    }

    /// `YYYY-MM-DD`.
    pub fn date(value: chrono::NaiveDate) -> Self {
        Given::Value(Text(Cow::Owned(value.to_string())))
    }
}

/// A fact the record may lack is `null`, as a posted document would write it.
impl<T> From<Option<T>> for Given<T> {
    fn from(value: Option<T>) -> Self {
        value.map_or(Given::Null, Given::Value)
    }
}

/// A string, borrowed from the request unless it had escapes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Text<'a>(pub Cow<'a, str>);

impl Expected for Text<'_> {
    const KIND: Kind = Kind::Text;
}

impl<'de: 'a, 'a> Deserialize<'de> for Text<'a> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct TextVisitor<'a>(PhantomData<&'a ()>);

        impl<'de: 'a, 'a> Visitor<'de> for TextVisitor<'a> {
            type Value = Text<'a>;

            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a string")
            }

            fn visit_borrowed_str<E>(self, text: &'de str) -> Result<Self::Value, E> {
                Ok(Text(Cow::Borrowed(text)))
            }

            fn visit_str<E>(self, text: &str) -> Result<Self::Value, E> {
                Ok(Text(Cow::Owned(text.to_owned())))
            }

            fn visit_string<E>(self, text: String) -> Result<Self::Value, E> {
                Ok(Text(Cow::Owned(text)))
            }
        }

        deserializer.deserialize_str(TextVisitor(PhantomData))
    }
}

pub fn has_full_width_digits(text: &str) -> bool {
    // ０..９ are U+FF10..U+FF19: ASCII-only text cannot hold one.
    !text.is_ascii() && text.chars().any(|c| ('０'..='９').contains(&c))
}

impl<'de, T: Deserialize<'de> + Expected> Deserialize<'de> for Given<T> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_any(GivenVisitor(PhantomData))
    }
}

struct GivenVisitor<T>(PhantomData<T>);

impl<T: Expected> GivenVisitor<T> {
    fn wrong<E>(found: Kind) -> Result<Given<T>, E> {
        Ok(Given::Wrong {
            found,
            full_width_digits: false,
        })
    }

    fn text<E: de::Error>(text: &str, read: impl FnOnce() -> Result<T, E>) -> Result<Given<T>, E> {
        if T::KIND == Kind::Text {
            read().map(Given::Value)
        } else {
            Ok(Given::Wrong {
                found: Kind::Text,
                full_width_digits: has_full_width_digits(text),
            })
        }
    }
}

impl<'de, T: Deserialize<'de> + Expected> Visitor<'de> for GivenVisitor<T> {
    type Value = Given<T>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("any JSON value")
    }

    fn visit_unit<E>(self) -> Result<Self::Value, E> {
        Ok(Given::Null)
    }

    fn visit_none<E>(self) -> Result<Self::Value, E> {
        Ok(Given::Null)
    }

    fn visit_bool<E: de::Error>(self, value: bool) -> Result<Self::Value, E> {
        match T::KIND {
            Kind::Bool => T::deserialize(de::value::BoolDeserializer::new(value)).map(Given::Value),
            _ => Self::wrong(Kind::Bool),
        }
    }

    fn visit_i64<E: de::Error>(self, value: i64) -> Result<Self::Value, E> {
        match T::KIND {
            Kind::Integer => {
                T::deserialize(de::value::I64Deserializer::new(value)).map(Given::Value)
            }
            _ => Self::wrong(Kind::Integer),
        }
    }

    fn visit_u64<E: de::Error>(self, value: u64) -> Result<Self::Value, E> {
        // Beyond i64 is beyond every range the contract allows; i64::MAX is refused as such.
        self.visit_i64(i64::try_from(value).unwrap_or(i64::MAX))
    }

    fn visit_f64<E>(self, _: f64) -> Result<Self::Value, E> {
        Self::wrong(Kind::Fraction)
    }

    fn visit_borrowed_str<E: de::Error>(self, text: &'de str) -> Result<Self::Value, E> {
        Self::text(text, || {
            T::deserialize(de::value::BorrowedStrDeserializer::new(text))
        })
    }

    fn visit_str<E: de::Error>(self, text: &str) -> Result<Self::Value, E> {
        Self::text(text, || {
            T::deserialize(de::value::StringDeserializer::new(text.to_owned()))
        })
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Self::Value, A::Error> {
        if T::KIND == Kind::List {
            return T::deserialize(SeqAccessDeserializer::new(seq)).map(Given::Value);
        }
        while seq.next_element::<IgnoredAny>()?.is_some() {}
        Self::wrong(Kind::List)
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
        if T::KIND == Kind::Object {
            return T::deserialize(MapAccessDeserializer::new(map)).map(Given::Value);
        }
        while map.next_entry::<IgnoredAny, IgnoredAny>()?.is_some() {}
        Self::wrong(Kind::Object)
    }
}

/// Nested objects and lists are validated when they were given.
impl<T: Validate> Validate for Given<T> {
    fn validate(&self) -> Result<(), ValidationErrors> {
        match self {
            Given::Value(value) => value.validate(),
            _ => Ok(()),
        }
    }
}

/// `validator` records the rejected value of a field with its error; for a request field that
/// is the kind found, never the request's text, which may be long.
impl<T> serde::Serialize for Given<T> {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(match self {
            Given::Missing => "missing",
            Given::Null => "null",
            Given::Value(_) => "given",
            Given::Wrong { .. } => "another kind",
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Debug, serde::Deserialize)]
    struct Probe<'a> {
        #[serde(default, borrow)]
        text: Given<Text<'a>>,
        #[serde(default)]
        number: Given<i64>,
        #[serde(default)]
        list: Given<Vec<i64>>,
    }

    fn probe(json: &str) -> Probe<'_> {
        serde_json::from_str(json).expect("a lenient probe never fails on a value's kind")
    }

    #[test]
    fn keeps_each_field_as_given_without_failing_the_document() {
        let all = probe(r#"{"text": "a", "number": 7, "list": [1, 2]}"#);
        assert!(matches!(all.text, Given::Value(Text(Cow::Borrowed("a")))));
        assert_eq!(all.number, Given::Value(7));
        assert_eq!(all.list, Given::Value(vec![1, 2]));

        let wrong = probe(r#"{"text": [1, {"a": 2}], "number": "２０", "list": {"x": [1]}}"#);
        assert_eq!(
            wrong.text,
            Given::Wrong {
                found: Kind::List,
                full_width_digits: false
            }
        );
        assert_eq!(
            wrong.number,
            Given::Wrong {
                found: Kind::Text,
                full_width_digits: true
            }
        );
        assert!(matches!(
            wrong.list,
            Given::Wrong {
                found: Kind::Object,
                ..
            }
        ));

        let absent = probe(r#"{"text": null}"#);
        assert_eq!(absent.text, Given::Null);
        assert_eq!(absent.number, Given::Missing);
    }

    #[test]
    fn numbers_that_are_not_integers_are_of_another_kind() {
        assert_eq!(
            probe(r#"{"number": 18446744073709551615}"#).number,
            Given::Value(i64::MAX)
        );
        for json in [r#"{"number": 1.5}"#, r#"{"number": 1e3}"#] {
            assert!(
                matches!(
                    probe(json).number,
                    Given::Wrong {
                        found: Kind::Fraction,
                        ..
                    }
                ),
                "{json}"
            );
        }
    }

    #[test]
    fn escaped_text_is_owned_and_plain_text_borrowed() {
        let escaped = probe(r#"{"text": "a\"b"}"#);
        assert!(matches!(escaped.text, Given::Value(Text(Cow::Owned(ref s))) if s == "a\"b"));
    }
}

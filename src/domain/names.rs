//! Organisation-name normalisation (DOMAIN.md §7.3).
//!
//! A printed name is folded (NFKC, no whitespace, Latin case-folded, one kind of bracket, a few
//! look-alike characters unified) and then split into its legal form (株式会社, 一般社団法人 …,
//! written in full, abbreviated or as ㈱, before or after the name), its core, and an optional
//! brand written beside the legal name in brackets (箱根DMO（一般財団法人箱根町観光協会）).
//! The comparison key is legal form + core, so that 株式会社つばめいと and 公益社団法人つばめいと
//! stay apart while 森興産株式会社 and (株)森興産 meet.

use std::borrow::Cow;

use unicode_normalization::{IsNormalized, UnicodeNormalization, is_nfkc_quick};

use crate::domain::codes::ApplicantKind;

/// The legal form (法人格) written in an organisation's name.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum LegalForm {
    KabushikiKaisha,
    YugenKaisha,
    GodoKaisha,
    GoshiKaisha,
    GomeiKaisha,
    GeneralIncorporatedAssociation,
    GeneralIncorporatedFoundation,
    PublicInterestIncorporatedAssociation,
    PublicInterestIncorporatedFoundation,
    /// 社団法人 before the 2008 reform (㈳); it became 一般 or 公益, which the name alone cannot tell.
    LegacyIncorporatedAssociation,
    /// 財団法人 before the 2008 reform (㈶).
    LegacyIncorporatedFoundation,
    Npo,
    Cooperative,
    EnterpriseCooperative,
    ChamberOfCommerce,
    CommerceAssociation,
    ShinkinBank,
    CreditCooperative,
    MedicalCorporation,
    SocialWelfareCorporation,
    SchoolCorporation,
    IncorporatedAdministrativeAgency,
}

impl LegalForm {
    /// The applicant-kind code (DESIGN.md's contract) this legal form implies. A company's
    /// size cannot be read from its name, so companies are `other` until someone records it.
    pub fn applicant_kind(self) -> ApplicantKind {
        match self {
            Self::GeneralIncorporatedAssociation => ApplicantKind::GeneralIncorporatedAssociation,
            Self::GeneralIncorporatedFoundation => ApplicantKind::GeneralIncorporatedFoundation,
            Self::PublicInterestIncorporatedAssociation => ApplicantKind::PublicInterestAssociation,
            Self::PublicInterestIncorporatedFoundation => ApplicantKind::PublicInterestFoundation,
            Self::Npo => ApplicantKind::Npo,
            Self::Cooperative | Self::EnterpriseCooperative => ApplicantKind::Cooperative,
            Self::ChamberOfCommerce => ApplicantKind::ChamberOfCommerce,
            Self::CommerceAssociation => ApplicantKind::CommerceAssociation,
            Self::ShinkinBank => ApplicantKind::ShinkinBank,
            Self::CreditCooperative => ApplicantKind::CreditCooperative,
            _ => ApplicantKind::Other,
        }
    }

    /// Short stable code, used in [`org_key`].
    pub fn code(self) -> &'static str {
        match self {
            Self::KabushikiKaisha => "kk",
            Self::YugenKaisha => "yk",
            Self::GodoKaisha => "gk",
            Self::GoshiKaisha => "goshi",
            Self::GomeiKaisha => "gomei",
            Self::GeneralIncorporatedAssociation => "ippan_shadan",
            Self::GeneralIncorporatedFoundation => "ippan_zaidan",
            Self::PublicInterestIncorporatedAssociation => "koeki_shadan",
            Self::PublicInterestIncorporatedFoundation => "koeki_zaidan",
            Self::LegacyIncorporatedAssociation => "shadan",
            Self::LegacyIncorporatedFoundation => "zaidan",
            Self::Npo => "npo",
            Self::Cooperative => "kyodo_kumiai",
            Self::EnterpriseCooperative => "kigyo_kumiai",
            Self::ChamberOfCommerce => "shoko_kaigisho",
            Self::CommerceAssociation => "shokokai",
            Self::ShinkinBank => "shinkin",
            Self::CreditCooperative => "shinkumi",
            Self::MedicalCorporation => "iryo",
            Self::SocialWelfareCorporation => "shafuku",
            Self::SchoolCorporation => "gakko",
            Self::IncorporatedAdministrativeAgency => "dokugyo",
        }
    }

    /// The form written in full, as in the commercial register.
    pub fn japanese(self) -> &'static str {
        match self {
            Self::KabushikiKaisha => "株式会社",
            Self::YugenKaisha => "有限会社",
            Self::GodoKaisha => "合同会社",
            Self::GoshiKaisha => "合資会社",
            Self::GomeiKaisha => "合名会社",
            Self::GeneralIncorporatedAssociation => "一般社団法人",
            Self::GeneralIncorporatedFoundation => "一般財団法人",
            Self::PublicInterestIncorporatedAssociation => "公益社団法人",
            Self::PublicInterestIncorporatedFoundation => "公益財団法人",
            Self::LegacyIncorporatedAssociation => "社団法人",
            Self::LegacyIncorporatedFoundation => "財団法人",
            Self::Npo => "特定非営利活動法人",
            Self::Cooperative => "協同組合",
            Self::EnterpriseCooperative => "企業組合",
            Self::ChamberOfCommerce => "商工会議所",
            Self::CommerceAssociation => "商工会",
            Self::ShinkinBank => "信用金庫",
            Self::CreditCooperative => "信用組合",
            Self::MedicalCorporation => "医療法人",
            Self::SocialWelfareCorporation => "社会福祉法人",
            Self::SchoolCorporation => "学校法人",
            Self::IncorporatedAdministrativeAgency => "独立行政法人",
        }
    }
}

/// Every spelling of a legal form, in folded text (see [`fold`]). Longer spellings come first so
/// that 一般社団法人 wins over 社団法人 and 商工会議所 over 商工会. ㈱ and friends arrive here as
/// (株) … because NFKC expands them.
const SPELLINGS: &[(&str, LegalForm)] = &[
    ("特定非営利活動法人", LegalForm::Npo),
    ("独立行政法人", LegalForm::IncorporatedAdministrativeAgency),
    ("一般社団法人", LegalForm::GeneralIncorporatedAssociation),
    ("一般財団法人", LegalForm::GeneralIncorporatedFoundation),
    (
        "公益社団法人",
        LegalForm::PublicInterestIncorporatedAssociation,
    ),
    (
        "公益財団法人",
        LegalForm::PublicInterestIncorporatedFoundation,
    ),
    ("事業協同組合", LegalForm::Cooperative),
    ("社会福祉法人", LegalForm::SocialWelfareCorporation),
    ("商工会議所", LegalForm::ChamberOfCommerce),
    ("株式会社", LegalForm::KabushikiKaisha),
    ("有限会社", LegalForm::YugenKaisha),
    ("合同会社", LegalForm::GodoKaisha),
    ("合資会社", LegalForm::GoshiKaisha),
    ("合名会社", LegalForm::GomeiKaisha),
    ("社団法人", LegalForm::LegacyIncorporatedAssociation),
    ("財団法人", LegalForm::LegacyIncorporatedFoundation),
    ("協同組合", LegalForm::Cooperative),
    ("企業組合", LegalForm::EnterpriseCooperative),
    ("信用金庫", LegalForm::ShinkinBank),
    ("信用組合", LegalForm::CreditCooperative),
    ("医療法人", LegalForm::MedicalCorporation),
    ("学校法人", LegalForm::SchoolCorporation),
    ("npo法人", LegalForm::Npo),
    ("(npo)", LegalForm::Npo),
    ("(一社)", LegalForm::GeneralIncorporatedAssociation),
    ("(一財)", LegalForm::GeneralIncorporatedFoundation),
    ("(公社)", LegalForm::PublicInterestIncorporatedAssociation),
    ("(公財)", LegalForm::PublicInterestIncorporatedFoundation),
    ("(特非)", LegalForm::Npo),
    ("(社福)", LegalForm::SocialWelfareCorporation),
    ("商工会", LegalForm::CommerceAssociation),
    ("(株)", LegalForm::KabushikiKaisha),
    ("(有)", LegalForm::YugenKaisha),
    ("(同)", LegalForm::GodoKaisha),
    ("(資)", LegalForm::GoshiKaisha),
    ("(名)", LegalForm::GomeiKaisha),
    ("(社)", LegalForm::LegacyIncorporatedAssociation),
    ("(財)", LegalForm::LegacyIncorporatedFoundation),
    ("(協)", LegalForm::Cooperative),
    ("(企)", LegalForm::EnterpriseCooperative),
    ("(医)", LegalForm::MedicalCorporation),
    ("(福)", LegalForm::SocialWelfareCorporation),
    ("(学)", LegalForm::SchoolCorporation),
    ("(独)", LegalForm::IncorporatedAdministrativeAgency),
];

/// A name split into what the comparison needs.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct NormalisedName {
    legal_form: Option<LegalForm>,
    core: String,
    brand: Option<String>,
}

impl NormalisedName {
    pub fn legal_form(&self) -> Option<LegalForm> {
        self.legal_form
    }

    /// The name without its legal form and brand, folded.
    pub fn core(&self) -> &str {
        &self.core
    }

    /// The brand or DMO name printed beside the legal name, folded.
    pub fn brand(&self) -> Option<&str> {
        self.brand.as_deref()
    }

    /// The comparison key; equal to [`org_key`] of the name this was made from.
    pub fn key(&self) -> String {
        compose_key(self.legal_form, &self.core)
    }

    /// The key the brand alone would have, as an applicant might write it (`箱根DMO`).
    pub fn brand_key(&self) -> Option<String> {
        self.brand.as_deref().map(|brand| compose_key(None, brand))
    }

    /// The name in its canonical spelling: legal form in full, before the core.
    pub fn display_legal_name(&self) -> String {
        match self.legal_form {
            Some(form) => format!("{}{}", form.japanese(), self.core),
            None => self.core.clone(),
        }
    }
}

/// Splits a printed name into legal form, core and brand.
pub fn normalise(name: &str) -> NormalisedName {
    let folded = fold(name);
    let parts = split(&folded);
    NormalisedName {
        legal_form: parts.legal_form,
        core: parts.core.to_owned(),
        brand: parts.brand.map(str::to_owned),
    }
}

/// The comparison key of an organisation name: two names with the same key are the same
/// organisation as far as the name can tell. It is `<legal form code>:<core>`, with an empty
/// code when the name carries no legal form.
pub fn org_key(name: &str) -> String {
    let folded = fold(name);
    let parts = split(&folded);
    compose_key(parts.legal_form, parts.core)
}

/// Edit distance (insertions, deletions, substitutions and swaps of neighbours, each 1) between
/// two strings, counted in characters. Used to find probable misprints such as 御祇川/御祓川.
pub fn edit_distance(a: &str, b: &str) -> usize {
    let a: Vec<char> = a.chars().collect();
    let b: Vec<char> = b.chars().collect();
    // Three rows of the dynamic-programming table are enough for the swap rule.
    let mut before_previous: Vec<usize> = vec![0; b.len() + 1];
    let mut previous: Vec<usize> = (0..=b.len()).collect();
    let mut current: Vec<usize> = vec![0; b.len() + 1];
    for i in 1..=a.len() {
        current[0] = i;
        for j in 1..=b.len() {
            let substitution = usize::from(a[i - 1] != b[j - 1]);
            let mut best = (previous[j] + 1)
                .min(current[j - 1] + 1)
                .min(previous[j - 1] + substitution);
            if i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1] {
                best = best.min(before_previous[j - 2] + 1);
            }
            current[j] = best;
        }
        std::mem::swap(&mut before_previous, &mut previous);
        std::mem::swap(&mut previous, &mut current);
    }
    previous[b.len()]
}

/// Splits one printed award-list entry naming several joint applicants (DOMAIN §7.3 step 8):
/// on "(1)… (2)…" markers, or — as R5 printed joint awards [S4:524] — on spaces when every
/// space-separated part carries its own legal form (so that 株式会社Link and Visible stays whole).
pub fn split_joint_entry(printed: &str) -> Vec<&str> {
    let by_marker = split_on_number_markers(printed);
    if by_marker.len() > 1 {
        return by_marker;
    }
    let by_space: Vec<&str> = printed
        .split(|c: char| c.is_whitespace())
        .filter(|part| !part.is_empty())
        .collect();
    let each_has_form = by_space.len() > 1
        && by_space
            .iter()
            .all(|part| split(&fold(part)).legal_form.is_some());
    if each_has_form {
        by_space
    } else {
        vec![printed.trim()]
    }
}

fn split_on_number_markers(printed: &str) -> Vec<&str> {
    let mut parts = Vec::new();
    let mut rest = printed.trim();
    while let Some(after_marker) = strip_number_marker(rest) {
        let next = find_number_marker(after_marker).unwrap_or(after_marker.len());
        let part = after_marker[..next].trim();
        if !part.is_empty() {
            parts.push(part);
        }
        rest = after_marker[next..].trim_start();
    }
    if parts.is_empty() {
        vec![printed.trim()]
    } else {
        parts
    }
}

fn is_open_bracket(c: char) -> bool {
    matches!(c, '(' | '（')
}

fn is_close_bracket(c: char) -> bool {
    matches!(c, ')' | '）')
}

/// `(1)rest` → `rest`, for ASCII or full-width brackets and digits.
fn strip_number_marker(text: &str) -> Option<&str> {
    let mut chars = text.char_indices();
    let (_, open) = chars.next()?;
    if !is_open_bracket(open) {
        return None;
    }
    let mut digits = 0;
    for (index, c) in chars {
        if c.is_numeric() {
            digits += 1;
        } else if is_close_bracket(c) && digits > 0 {
            return Some(&text[index + c.len_utf8()..]);
        } else {
            return None;
        }
    }
    None
}

fn find_number_marker(text: &str) -> Option<usize> {
    text.char_indices()
        .find(|&(index, c)| is_open_bracket(c) && strip_number_marker(&text[index..]).is_some())
        .map(|(index, _)| index)
}

fn compose_key(legal_form: Option<LegalForm>, core: &str) -> String {
    let code = legal_form.map_or("", LegalForm::code);
    let mut key = String::with_capacity(code.len() + 1 + core.len());
    key.push_str(code);
    key.push(':');
    key.push_str(core);
    key
}

/// Steps 1–4 of DOMAIN §7.3 in one pass: NFKC, drop whitespace, fold case, unify brackets.
fn fold(name: &str) -> Cow<'_, str> {
    // Most names come back as they are: kana, kanji and lower-case ASCII.
    if name.chars().all(folds_to_itself) {
        return Cow::Borrowed(name);
    }
    // Most of the rest are already in NFKC; the quick check says so without running the
    // (much slower) decomposition and recomposition, which would give the text back unchanged.
    let plain = name.chars().all(|c| c.is_ascii() || is_plain_cjk(c));
    Cow::Owned(
        if plain || is_nfkc_quick(name.chars()) == IsNormalized::Yes {
            fold_normalised(name.chars(), name.len())
        } else {
            fold_normalised(name.nfkc(), name.len())
        },
    )
}

/// Whether [`fold_normalised`] keeps `c` as it is, in text that is in NFKC because every
/// character of it is ASCII or [`is_plain_cjk`].
fn folds_to_itself(c: char) -> bool {
    if c.is_ascii() {
        !(c.is_whitespace() || c.is_ascii_uppercase() || matches!(c, '[' | '{' | ']' | '}'))
    } else {
        is_plain_cjk(c) && !matches!(c, 'ヶ' | '髙')
    }
}

/// Steps 2–4 on text already in NFKC.
fn fold_normalised(chars: impl Iterator<Item = char>, capacity: usize) -> String {
    let mut folded = String::with_capacity(capacity);
    for c in chars {
        match c {
            // Most of a Japanese name; only ヶ and 髙 among them are rewritten below.
            c if is_plain_cjk(c) && !matches!(c, 'ヶ' | '髙') => folded.push(c),
            c if c.is_whitespace() => {}
            // Zero-width characters that copy-paste from PDFs leaves behind.
            '\u{200B}' | '\u{200C}' | '\u{200D}' | '\u{2060}' | '\u{FEFF}' => {}
            // Middle dots are spelled or dropped at will (クオリティ・オブ・ライフ).
            '・' | '·' => {}
            '(' | '[' | '{' | '【' | '「' | '『' | '〔' | '〈' | '《' | '〖' | '〘' => {
                folded.push('(')
            }
            ')' | ']' | '}' | '】' | '」' | '』' | '〕' | '〉' | '》' | '〗' | '〙' => {
                folded.push(')')
            }
            '‐' | '‑' | '‒' | '–' | '—' | '−' => folded.push('-'),
            // Place names are registered with either (鰺ヶ沢 / 鰺ケ沢).
            'ヶ' => folded.push('ケ'),
            // The common old forms of 高 and 崎, which NFKC keeps.
            '髙' => folded.push('高'),
            '﨑' => folded.push('崎'),
            c if c.is_ascii() => folded.push(c.to_ascii_lowercase()),
            // Kana and kanji have no case: skip the case table (see the test below).
            c if is_caseless_cjk(c) => folded.push(c),
            c => folded.extend(c.to_lowercase()),
        }
    }
    folded
}

/// Hiragana, katakana and kanji that are their own NFKC form, combine with nothing before
/// them (combining class 0), have no case and are not whitespace (see the tests), so that text
/// of them and ASCII alone needs neither normalisation nor case folding.
fn is_plain_cjk(c: char) -> bool {
    matches!(c, '\u{3041}'..='\u{3096}' | '\u{30A1}'..='\u{30FA}' | '\u{30FC}'..='\u{30FE}' | '\u{4E00}'..='\u{9FFF}')
}

/// Hiragana, katakana, CJK symbols and kanji (U+3040–U+9FFF), which have no lower case.
fn is_caseless_cjk(c: char) -> bool {
    ('\u{3040}'..='\u{9FFF}').contains(&c)
}

struct Parts<'a> {
    legal_form: Option<LegalForm>,
    core: &'a str,
    brand: Option<&'a str>,
}

/// Steps 5–7 of DOMAIN §7.3 on folded text: find a brand in brackets and the legal form.
fn split(folded: &str) -> Parts<'_> {
    let folded = drop_number_marker(folded);
    let (legal, brand) = split_brand(folded);
    let (legal_form, core) = split_legal_form(legal);
    Parts {
        legal_form,
        core,
        brand,
    }
}

/// A leading "(1)" is a list marker, not part of the name.
fn drop_number_marker(folded: &str) -> &str {
    strip_number_marker(folded)
        .filter(|rest| !rest.is_empty())
        .unwrap_or(folded)
}

/// `brand(legal name)` or `legal name(brand)` → (legal name, brand). The side that carries a
/// legal form is the legal name; when neither or both do, the text outside the brackets is.
fn split_brand(folded: &str) -> (&str, Option<&str>) {
    let Some((outside, inside)) = bracket_group(folded) else {
        return (folded, None);
    };
    if outside.is_empty() || inside.is_empty() {
        return (folded, None);
    }
    let inside_has_form = split_legal_form(inside).0.is_some();
    let outside_has_form = split_legal_form(outside).0.is_some();
    if inside_has_form && !outside_has_form {
        (inside, Some(outside))
    } else {
        (outside, Some(inside))
    }
}

/// The bracket group at the end (`a(b)`) or the start (`(b)a`) of the text, unless it is an
/// abbreviated legal form such as (株).
fn bracket_group(folded: &str) -> Option<(&str, &str)> {
    if let Some(body) = folded.strip_suffix(')') {
        let open = matching_open(body)?;
        let inside = &body[open + 1..];
        if !is_abbreviation(inside) {
            return Some((&folded[..open], inside));
        }
    }
    if let Some(body) = folded.strip_prefix('(') {
        let close = matching_close(body)?;
        let inside = &body[..close];
        if !is_abbreviation(inside) {
            return Some((&body[close + 1..], inside));
        }
    }
    None
}

/// Byte index of the '(' that closes a group ending at the end of `body` (whose final ')' has
/// been removed).
fn matching_open(body: &str) -> Option<usize> {
    unmatched(body.char_indices().rev(), ')', '(')
}

/// Byte index of the ')' that closes a group starting at the start of `body` (whose first '('
/// has been removed).
fn matching_close(body: &str) -> Option<usize> {
    unmatched(body.char_indices(), '(', ')')
}

/// The first `close` with no `open` before it, walking `chars` in their order.
fn unmatched(chars: impl Iterator<Item = (usize, char)>, open: char, close: char) -> Option<usize> {
    let mut depth = 0usize;
    for (index, c) in chars {
        if c == open {
            depth += 1;
        } else if c == close {
            if depth == 0 {
                return Some(index);
            }
            depth -= 1;
        }
    }
    None
}

fn is_abbreviation(inside: &str) -> bool {
    SPELLINGS.iter().any(|(spelling, _)| {
        spelling
            .strip_prefix('(')
            .and_then(|rest| rest.strip_suffix(')'))
            == Some(inside)
    })
}

/// The legal form written before or after the name (株式会社森興産 / 森興産株式会社).
fn split_legal_form(legal: &str) -> (Option<LegalForm>, &str) {
    // Comparing one byte first skips most spellings without a call to compare them whole.
    let (first, last) = (legal.as_bytes().first(), legal.as_bytes().last());
    for &(spelling, form) in SPELLINGS {
        if spelling.as_bytes().first() == first
            && let Some(core) = legal.strip_prefix(spelling).filter(|core| !core.is_empty())
        {
            return (Some(form), core);
        }
    }
    for &(spelling, form) in SPELLINGS {
        if spelling.as_bytes().last() == last
            && let Some(core) = legal.strip_suffix(spelling).filter(|core| !core.is_empty())
        {
            return (Some(form), core);
        }
    }
    (None, legal)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn same(a: &str, b: &str) {
        assert_eq!(org_key(a), org_key(b), "{a} and {b} should share a key");
    }

    fn different(a: &str, b: &str) {
        assert_ne!(org_key(a), org_key(b), "{a} and {b} should differ");
    }

    #[test]
    fn key_is_legal_form_code_and_core() {
        assert_eq!(org_key("株式会社御祓川"), "kk:御祓川");
        assert_eq!(org_key("ドリームキャリア富山"), ":ドリームキャリア富山");
        assert_eq!(org_key("松本商工会議所"), "shoko_kaigisho:松本");
    }

    #[test]
    fn key_of_normalised_name_equals_org_key() {
        for name in [
            "箱根DMO（一般財団法人箱根町観光協会）",
            "合同会社K A Z A M I",
            "(1)株式会社シンカゼ",
            "森興産株式会社",
        ] {
            assert_eq!(normalise(name).key(), org_key(name), "{name}");
        }
    }

    #[test]
    fn legal_form_before_or_after_the_name() {
        same("森興産株式会社", "株式会社森興産");
        same(
            "広島県東部機械金属工業協同組合",
            "協同組合広島県東部機械金属工業",
        );
        same("エイベックス株式会社", "(株)エイベックス");
    }

    #[test]
    fn abbreviations_expand_to_the_full_form() {
        same("㈱森興産", "株式会社森興産");
        same("(株)森興産", "株式会社森興産");
        same("（株）森興産", "株式会社森興産");
        same("森興産㈱", "森興産株式会社");
        same("㈲金子ファーム", "有限会社金子ファーム");
        same("(有)金子ファーム", "有限会社金子ファーム");
        same("(同)KAZAMI", "合同会社KAZAMI");
        same("(一社)ドット道東", "一般社団法人ドット道東");
        same("(一財)箱根町観光協会", "一般財団法人箱根町観光協会");
        same("(公社)つばめいと", "公益社団法人つばめいと");
        same(
            "(公財)島前ふるさと魅力化財団",
            "公益財団法人島前ふるさと魅力化財団",
        );
        same("NPO法人MEGURU", "特定非営利活動法人MEGURU");
        same("NPO 法人 MEGURU", "特定非営利活動法人MEGURU");
        same("(特非)G-net", "特定非営利活動法人G-net");
        same("(協)八食センター", "協同組合八食センター");
        same("㈿八食センター", "協同組合八食センター");
        same("（株）ボルテックスセイグン", "株式会社ボルテックスセイグン");
    }

    #[test]
    fn legal_form_tells_organisations_apart() {
        different("株式会社つばめいと", "公益社団法人つばめいと");
        different("一般社団法人まちと人と", "一般財団法人まちと人と");
        different("松本商工会議所", "松本商工会");
        different("株式会社ドット道東", "ドット道東");
    }

    #[test]
    fn whitespace_of_every_width_is_dropped() {
        same("合同会社K A Z A M I", "合同会社KAZAMI");
        same("株式会社\u{3000}御祓川", "株式会社御祓川");
        same(" 株式会社 御祓川\t", "株式会社御祓川");
        same(
            "Dialogue for Everyone株式会社",
            "DialogueforEveryone株式会社",
        );
    }

    #[test]
    fn latin_letters_fold_to_one_case_and_width() {
        same("株式会社link and Visible", "株式会社Link and Visible");
        same("株式会社LeRIRO", "株式会社LERIRO");
        same("株式会社ＬＥＲＩＲＯ", "株式会社LERIRO");
        same("ｴｲﾍﾞｯｸｽ株式会社", "エイベックス株式会社");
    }

    #[test]
    fn brackets_of_any_kind_and_width_are_one() {
        same(
            "箱根DMO(一般財団法人箱根町観光協会)",
            "箱根DMO（一般財団法人箱根町観光協会）",
        );
        same(
            "箱根DMO【一般財団法人箱根町観光協会】",
            "箱根DMO「一般財団法人箱根町観光協会」",
        );
    }

    #[test]
    fn brand_is_split_from_the_legal_name_on_either_side() {
        let before = normalise("箱根DMO（一般財団法人箱根町観光協会）");
        let after = normalise("一般財団法人箱根町観光協会（箱根DMO）");
        for name in [&before, &after] {
            assert_eq!(
                name.legal_form(),
                Some(LegalForm::GeneralIncorporatedFoundation)
            );
            assert_eq!(name.core(), "箱根町観光協会");
            assert_eq!(name.brand(), Some("箱根dmo"));
            assert_eq!(name.brand_key().as_deref(), Some(":箱根dmo"));
        }
        assert_eq!(before.key(), after.key());
        same(
            "箱根DMO((一財)箱根町観光協会)",
            "一般財団法人箱根町観光協会",
        );
        // The brand alone is a different key: the ledger registers it as a name of its own.
        different("箱根DMO", "一般財団法人箱根町観光協会");
    }

    #[test]
    fn an_abbreviation_in_brackets_is_not_a_brand() {
        let name = normalise("森興産(株)");
        assert_eq!(name.legal_form(), Some(LegalForm::KabushikiKaisha));
        assert_eq!(name.core(), "森興産");
        assert_eq!(name.brand(), None);
    }

    #[test]
    fn look_alike_characters_are_unified() {
        same(
            "協同組合マルチワーカージョブステーション鰺ヶ沢",
            "協同組合マルチワーカージョブステーション鰺ケ沢",
        );
        same(
            "株式会社クオリティ・オブ・ライフ",
            "株式会社クオリティオブライフ",
        );
        same("株式会社髙橋", "株式会社高橋");
    }

    #[test]
    fn misprints_are_not_normalised_away() {
        // These need the alias table (or a person); normalisation must not hide them.
        different("株式会社御祇川", "株式会社御祓川");
        different("株式会社クオントム", "株式会社クォンタム");
        different("株式会社えぼく", "株式会社えぽっく");
    }

    #[test]
    fn a_bare_legal_form_is_a_core_not_a_form() {
        assert_eq!(normalise("株式会社").legal_form(), None);
        assert_eq!(org_key(""), ":");
    }

    #[test]
    fn display_legal_name_writes_the_form_in_front() {
        assert_eq!(
            normalise("森興産(株)").display_legal_name(),
            "株式会社森興産"
        );
    }

    #[test]
    fn edit_distance_counts_characters() {
        assert_eq!(edit_distance("御祇川", "御祓川"), 1);
        assert_eq!(
            edit_distance("セキシウキャリアプラス", "セキショウキャリアプラス"),
            1
        );
        assert_eq!(edit_distance("地方創生推進機構", "地方創生推進協同機構"), 2);
        assert_eq!(edit_distance("ab", "ba"), 1);
        assert_eq!(edit_distance("", "abc"), 3);
        assert_eq!(edit_distance("same", "same"), 0);
    }

    #[test]
    fn joint_entries_split_on_markers_or_on_spaces_between_legal_names() {
        assert_eq!(
            split_joint_entry("(1)株式会社シンカゼ (2)株式会社えぼく (3)一般社団法人いまぼくらと"),
            [
                "株式会社シンカゼ",
                "株式会社えぼく",
                "一般社団法人いまぼくらと"
            ]
        );
        assert_eq!(
            split_joint_entry("（1）エイベックス株式会社　（2）株式会社イクシー"),
            ["エイベックス株式会社", "株式会社イクシー"]
        );
        assert_eq!(
            split_joint_entry("一般社団法人まちと人と 一般社団法人フィッシャーマン・ジャパン"),
            [
                "一般社団法人まちと人と",
                "一般社団法人フィッシャーマン・ジャパン"
            ]
        );
        assert_eq!(
            split_joint_entry("株式会社Link and Visible"),
            ["株式会社Link and Visible"]
        );
        assert_eq!(
            split_joint_entry("合同会社K A Z A M I"),
            ["合同会社K A Z A M I"]
        );
    }

    #[test]
    fn a_list_marker_is_not_part_of_the_name() {
        same("(1)株式会社シンカゼ", "株式会社シンカゼ");
    }

    #[test]
    fn the_caseless_range_has_no_lower_case() {
        for c in ('\u{3040}'..='\u{9FFF}').filter(|c| is_caseless_cjk(*c)) {
            assert!(c.to_lowercase().eq([c]), "{c:?}");
        }
    }

    #[test]
    fn plain_cjk_is_normalised_caseless_and_not_space() {
        use unicode_normalization::char::canonical_combining_class;
        for c in (0..=0x10FFFF)
            .filter_map(char::from_u32)
            .filter(|c| is_plain_cjk(*c))
        {
            assert_eq!(
                is_nfkc_quick(std::iter::once(c)),
                IsNormalized::Yes,
                "{c:?}"
            );
            assert_eq!(canonical_combining_class(c), 0, "{c:?}");
            assert!(c.to_lowercase().eq([c]) && !c.is_whitespace(), "{c:?}");
            let expected = match c {
                'ヶ' => "ケ".to_owned(),
                '髙' => "高".to_owned(),
                c => c.to_string(),
            };
            assert_eq!(fold(&c.to_string()), expected);
        }
    }

    #[test]
    fn the_quick_path_folds_as_full_normalisation_does() {
        let names = [
            "株式会社みらい人事ラボ",
            "合同会社K A Z A M I",
            "ＮＰＯ法人ＭＥＧＵＲＵ",
            "㈱森興産",
            "一般社団法人　COCORO",
            "カ\u{3099}クトラボ",
            "ｶﾞｸﾄﾗﾎﾞ",
            "髙﨑ヶ丘（ＤＭＯ）",
            "Ünïcödé Straße",
            "ΑΒΓ ДЖ",
            "Å\u{30a}",
            "は\u{3099}ヶ丘・髙",
            "ﾊﾞ\u{3000}ヿゟ",
        ];
        for name in names {
            let slow: String = fold_normalised(name.nfkc(), name.len());
            assert_eq!(fold(name), slow, "{name}");
        }
    }

    #[test]
    fn names_that_fold_to_themselves_are_borrowed_and_the_rest_are_not() {
        let mut every_ascii: String = (0u8..0x80).map(char::from).collect();
        every_ascii.push_str("株式会社みらい");
        for name in [
            "株式会社みらい人事ラボ",
            "npo法人meguru(dmo)-1",
            "一般社団法人cocoro",
            "Npo法人",
            "a b",
            "x[y]",
            "{z}",
            "鰺ヶ沢",
            "髙橋",
            every_ascii.as_str(),
        ] {
            let slow: String = fold_normalised(name.nfkc(), name.len());
            let folded = fold(name);
            assert_eq!(folded, slow, "{name}");
            assert_eq!(matches!(folded, Cow::Borrowed(_)), slow == name, "{name}");
        }
    }
}

//! Evidence files of the legal basis (法制度連携枠: the approval, certification or designation
//! documents). Which files are accepted is a rule: PDF, PNG or JPEG, as their first bytes show
//! (a declared type is a claim, the bytes are the fact), not empty and at most
//! [`MAX_BYTES`]. A file that passes becomes an [`EvidenceFile`], with a name fit to show and
//! to send back, and its SHA-256.

use sha2::{Digest, Sha256};

/// The largest file accepted: 10 MiB (a scanned certificate of a few pages).
pub const MAX_BYTES: usize = 10 * 1024 * 1024;

/// The most files one application keeps.
pub const MAX_FILES: i64 = 20;

/// The longest file name kept, in characters (longer names are cut, keeping the extension).
pub const MAX_NAME_CHARS: usize = 120;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum EvidenceKind {
    Pdf,
    Png,
    Jpeg,
}

impl EvidenceKind {
    pub const ALL: &'static [EvidenceKind] =
        &[EvidenceKind::Pdf, EvidenceKind::Png, EvidenceKind::Jpeg];

    /// The media type stored and sent with the file.
    pub fn content_type(self) -> &'static str {
        match self {
            EvidenceKind::Pdf => "application/pdf",
            EvidenceKind::Png => "image/png",
            EvidenceKind::Jpeg => "image/jpeg",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            EvidenceKind::Pdf => "PDF",
            EvidenceKind::Png => "PNG",
            EvidenceKind::Jpeg => "JPEG",
        }
    }

    /// The kind a stored media type names.
    pub fn from_content_type(content_type: &str) -> Option<EvidenceKind> {
        let essence = content_type
            .split(';')
            .next()
            .unwrap_or_default()
            .trim()
            .to_ascii_lowercase();
        match essence.as_str() {
            "application/pdf" => Some(EvidenceKind::Pdf),
            "image/png" => Some(EvidenceKind::Png),
            // Older browsers name JPEG these ways.
            "image/jpeg" | "image/jpg" | "image/pjpeg" => Some(EvidenceKind::Jpeg),
            _ => None,
        }
    }

    /// The kind the first bytes show: `%PDF-`, the PNG signature, or a JPEG SOI marker.
    pub fn sniff(bytes: &[u8]) -> Option<EvidenceKind> {
        if bytes.starts_with(b"%PDF-") {
            Some(EvidenceKind::Pdf)
        } else if bytes.starts_with(b"\x89PNG\r\n\x1a\n") {
            Some(EvidenceKind::Png)
        } else if bytes.starts_with(&[0xFF, 0xD8, 0xFF]) {
            Some(EvidenceKind::Jpeg)
        } else {
            None
        }
    }
}

/// Why a file is refused, in words for the person who chose it.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum EvidenceError {
    #[error("ファイルを選択してください")]
    Missing,
    #[error("ファイルが空です")]
    Empty,
    #[error("ファイルが大きすぎます（{size}）。10MB 以下のファイルにしてください")]
    TooLarge { size: String },
    #[error(
        "PDF・PNG・JPEG のファイルだけを添付できます（このファイルの内容はそのいずれでもありません）"
    )]
    UnsupportedType,
    #[error("ファイルの内容（{actual}）が、ファイルの種類（{declared}）と一致しません")]
    TypeMismatch {
        declared: &'static str,
        actual: &'static str,
    },
}

impl EvidenceError {
    /// The refusal of a file of `size` bytes (more than [`MAX_BYTES`]).
    pub fn too_large(size: usize) -> Self {
        EvidenceError::TooLarge {
            size: human_size(u64::try_from(size).unwrap_or(u64::MAX)),
        }
    }
}

/// A file as accepted.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct EvidenceFile {
    pub file_name: String,
    pub kind: EvidenceKind,
    pub sha256: String,
    pub bytes: Vec<u8>,
}

impl EvidenceFile {
    pub fn byte_size(&self) -> i64 {
        i64::try_from(self.bytes.len()).unwrap_or(i64::MAX)
    }
}

/// `1.5 MB`, `820 KB`, `12 バイト`.
pub fn human_size(bytes: u64) -> String {
    const KIB: u64 = 1024;
    const MIB: u64 = 1024 * 1024;
    if bytes >= MIB {
        let tenths = bytes * 10 / MIB;
        format!("{}.{} MB", tenths / 10, tenths % 10)
    } else if bytes >= KIB {
        format!("{} KB", bytes.div_ceil(KIB))
    } else {
        format!("{bytes} バイト")
    }
}

/// The refusal for a file of `size` bytes, when it is over the limit (so that a reader can
/// stop reading as soon as it knows).
pub fn check_size(size: usize) -> Result<(), EvidenceError> {
    if size > MAX_BYTES {
        return Err(EvidenceError::too_large(size));
    }
    Ok(())
}

/// The name as given, made fit to keep: the last path segment (some browsers send a whole
/// path), without control or bidirectional-override characters, trimmed, at most
/// [`MAX_NAME_CHARS`] characters (keeping the extension); `証拠書類.pdf` when nothing is left.
pub fn clean_file_name(given: &str, kind: EvidenceKind) -> String {
    let last = given.rsplit(['/', '\\']).next().unwrap_or_default();
    let cleaned: String = last
        .chars()
        .filter(|c| {
            !c.is_control()
                && !matches!(c, '\u{200E}' | '\u{200F}' | '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}')
        })
        .collect();
    let cleaned = cleaned.trim().trim_start_matches('.').trim();
    if cleaned.is_empty() {
        let extension = match kind {
            EvidenceKind::Pdf => "pdf",
            EvidenceKind::Png => "png",
            EvidenceKind::Jpeg => "jpg",
        };
        return format!("証拠書類.{extension}");
    }
    if cleaned.chars().count() <= MAX_NAME_CHARS {
        return cleaned.to_owned();
    }
    let (stem, extension) = match cleaned.rsplit_once('.') {
        Some((stem, extension)) if !stem.is_empty() && extension.chars().count() <= 5 => {
            (stem, Some(extension))
        }
        _ => (cleaned, None),
    };
    match extension {
        Some(extension) => {
            let keep = MAX_NAME_CHARS - extension.chars().count() - 1;
            format!(
                "{}.{extension}",
                stem.chars().take(keep).collect::<String>()
            )
        }
        None => stem.chars().take(MAX_NAME_CHARS).collect(),
    }
}

/// Decides whether a file is accepted. `declared_type` is what the browser said (empty or
/// `application/octet-stream` when it did not know): when it names a type, it must be one of
/// the accepted ones and agree with the bytes.
pub fn accept(
    given_name: &str,
    declared_type: &str,
    bytes: Vec<u8>,
) -> Result<EvidenceFile, EvidenceError> {
    if bytes.is_empty() {
        return Err(if given_name.is_empty() {
            EvidenceError::Missing
        } else {
            EvidenceError::Empty
        });
    }
    check_size(bytes.len())?;
    let kind = EvidenceKind::sniff(&bytes).ok_or(EvidenceError::UnsupportedType)?;
    let declared = declared_type
        .split(';')
        .next()
        .unwrap_or_default()
        .trim()
        .to_ascii_lowercase();
    if !(declared.is_empty() || declared == "application/octet-stream") {
        match EvidenceKind::from_content_type(&declared) {
            Some(claimed) if claimed == kind => {}
            Some(claimed) => {
                return Err(EvidenceError::TypeMismatch {
                    declared: claimed.label(),
                    actual: kind.label(),
                });
            }
            None => return Err(EvidenceError::UnsupportedType),
        }
    }
    let sha256 = Sha256::digest(&bytes)
        .iter()
        .map(|byte| format!("{byte:02x}"))
        .collect();
    Ok(EvidenceFile {
        file_name: clean_file_name(given_name, kind),
        kind,
        sha256,
        bytes,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    const PDF: &[u8] = b"%PDF-1.7\n%\xE2\xE3\xCF\xD3\n1 0 obj\n<<>>\nendobj\n%%EOF\n";
    const PNG: &[u8] = b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR";
    const JPEG: &[u8] = b"\xFF\xD8\xFF\xE0\0\x10JFIF\0";

    #[test]
    fn the_bytes_decide_the_kind() {
        assert_eq!(EvidenceKind::sniff(PDF), Some(EvidenceKind::Pdf));
        assert_eq!(EvidenceKind::sniff(PNG), Some(EvidenceKind::Png));
        assert_eq!(EvidenceKind::sniff(JPEG), Some(EvidenceKind::Jpeg));
        assert_eq!(EvidenceKind::sniff(b"<html><script>"), None);
        assert_eq!(EvidenceKind::sniff(b"%PD"), None);
        assert_eq!(EvidenceKind::sniff(b"GIF89a"), None);
    }

    #[test]
    fn accepts_pdf_png_and_jpeg_with_their_hash() {
        let file = accept("認定通知書.pdf", "application/pdf", PDF.to_vec()).expect("pdf");
        assert_eq!(file.kind, EvidenceKind::Pdf);
        assert_eq!(file.file_name, "認定通知書.pdf");
        assert_eq!(file.sha256.len(), 64);
        assert_eq!(
            accept("scan.png", "image/png", PNG.to_vec()).map(|f| f.kind),
            Ok(EvidenceKind::Png)
        );
        assert_eq!(
            accept("scan.jpg", "image/jpg", JPEG.to_vec()).map(|f| f.kind),
            Ok(EvidenceKind::Jpeg)
        );
        // A browser that does not know the type: the bytes decide.
        assert_eq!(
            accept("scan", "application/octet-stream", JPEG.to_vec()).map(|f| f.kind),
            Ok(EvidenceKind::Jpeg)
        );
    }

    #[test]
    fn refuses_what_the_bytes_do_not_show() {
        assert_eq!(
            accept("evil.pdf", "application/pdf", b"<html>hi</html>".to_vec()),
            Err(EvidenceError::UnsupportedType),
            "a declared type is not enough"
        );
        assert_eq!(
            accept("page.html", "text/html", PDF.to_vec()),
            Err(EvidenceError::UnsupportedType)
        );
        assert_eq!(
            accept("photo.png", "image/png", PDF.to_vec()),
            Err(EvidenceError::TypeMismatch {
                declared: "PNG",
                actual: "PDF"
            })
        );
        assert_eq!(
            accept("", "application/octet-stream", Vec::new()),
            Err(EvidenceError::Missing)
        );
        assert_eq!(
            accept("a.pdf", "application/pdf", Vec::new()),
            Err(EvidenceError::Empty)
        );
    }

    #[test]
    fn refuses_more_than_ten_mebibytes() {
        let mut big = PDF.to_vec();
        big.resize(MAX_BYTES, b' ');
        assert!(
            accept("big.pdf", "application/pdf", big.clone()).is_ok(),
            "exactly the limit"
        );
        big.push(b' ');
        let refused = accept("big.pdf", "application/pdf", big);
        assert_eq!(
            refused,
            Err(EvidenceError::TooLarge {
                size: "10.0 MB".into()
            })
        );
        assert!(
            refused
                .err()
                .map(|e| e.to_string())
                .unwrap_or_default()
                .contains("10MB 以下")
        );
    }

    #[test]
    fn names_are_made_fit_to_keep() {
        assert_eq!(
            clean_file_name("C:\\Users\\me\\認定通知書.pdf", EvidenceKind::Pdf),
            "認定通知書.pdf"
        );
        assert_eq!(
            clean_file_name("../../etc/passwd", EvidenceKind::Pdf),
            "passwd"
        );
        assert_eq!(
            clean_file_name("a\u{202E}fdp.exe\n", EvidenceKind::Pdf),
            "afdp.exe"
        );
        assert_eq!(clean_file_name(" .. ", EvidenceKind::Png), "証拠書類.png");
        let long = format!("{}.pdf", "あ".repeat(300));
        let cut = clean_file_name(&long, EvidenceKind::Pdf);
        assert_eq!(cut.chars().count(), MAX_NAME_CHARS);
        assert!(cut.ends_with(".pdf"));
    }

    #[test]
    fn sizes_read_as_people_say_them() {
        assert_eq!(human_size(12), "12 バイト");
        assert_eq!(human_size(2048), "2 KB");
        assert_eq!(human_size(1_572_864), "1.5 MB");
    }
}

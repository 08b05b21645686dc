//! The Japanese font: found on the system or at the configured path, parsed once per
//! process, and measured for the layout.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, OnceLock};

use printpdf::ParsedFont;

use super::text::Metrics;
use crate::error::{AppError, AppResult};

/// Where Debian, Ubuntu, Fedora and Homebrew put IPAex Gothic or Noto Sans CJK, in order of
/// preference. A `.ttc` collection is read at face 0, which is the Japanese face in the
/// Noto Sans CJK collections these systems ship.
pub const CANDIDATES: &[&str] = &[
    "/usr/share/fonts/opentype/ipaexfont-gothic/ipaexg.ttf",
    "/usr/share/fonts/truetype/ipaexfont-gothic/ipaexg.ttf",
    "/usr/share/fonts/truetype/fonts-japanese-gothic.ttf",
    "/usr/share/fonts/ipaexfont-gothic/ipaexg.ttf",
    "/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc",
    "/usr/share/fonts/noto-cjk/NotoSansCJK-Regular.ttc",
    "/usr/share/fonts/google-noto-cjk/NotoSansCJK-Regular.ttc",
    "/opt/homebrew/share/fonts/ipaexg.ttf",
];

const INSTALL_HINT: &str = "日本語フォントが見つかりません。IPAexゴシックを入れてください \
     (Debian/Ubuntu: `sudo apt-get install fonts-ipaexfont-gothic`、または scripts/setup)。\
     別のフォントを使うときは設定 pdf_font_path (HOJOKIN_PDF_FONT_PATH) に TrueType/OpenType \
     ファイルのパスを指定してください";

/// A parsed font with a table of advances for the characters the layout asks about.
pub struct PdfFont {
    pub path: PathBuf,
    pub parsed: ParsedFont,
    units_per_em: f32,
    /// Advances of the Basic Multilingual Plane in em; `NaN` where the font has no glyph.
    bmp: Vec<f32>,
}

impl std::fmt::Debug for PdfFont {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PdfFont").field("path", &self.path).finish()
    }
}

impl PdfFont {
    /// Parses a font file. Errors name the file and what to do.
    pub fn load(path: &Path) -> AppResult<PdfFont> {
        let bytes = std::fs::read(path).map_err(|error| {
            AppError::config(format!(
                "PDF 用フォント {} を読めません: {error}。{INSTALL_HINT}",
                path.display()
            ))
        })?;
        let parsed = ParsedFont::from_bytes(&bytes, 0, &mut Vec::new()).ok_or_else(|| {
            AppError::config(format!(
                "{} は TrueType/OpenType フォントとして読めません。{INSTALL_HINT}",
                path.display()
            ))
        })?;
        let units_per_em = f32::from(parsed.pdf_font_metrics.units_per_em.max(1));
        let mut bmp = vec![f32::NAN; 0x1_0000];
        for (code, slot) in bmp.iter_mut().enumerate() {
            // Surrogates are not characters; `as u32` is exact for indices below 0x10000.
            if let Some(gid) = parsed.lookup_glyph_index(code as u32)
                && gid != 0
            {
                *slot = f32::from(parsed.get_horizontal_advance(gid)) / units_per_em;
            }
        }
        if bmp[usize::from(b'A')].is_nan() || bmp[0x3042].is_nan() {
            return Err(AppError::config(format!(
                "{} には日本語の字形がありません。{INSTALL_HINT}",
                path.display()
            )));
        }
        Ok(PdfFont {
            path: path.to_owned(),
            parsed,
            units_per_em,
            bmp,
        })
    }

    /// The configured font, or the first candidate that exists on this system.
    pub fn discover(configured: Option<&Path>) -> AppResult<PathBuf> {
        if let Some(path) = configured {
            return Ok(path.to_owned());
        }
        CANDIDATES
            .iter()
            .map(PathBuf::from)
            .find(|path| path.is_file())
            .ok_or_else(|| AppError::config(INSTALL_HINT))
    }

    /// The font for `configured` (or the discovered one), parsed once per process and shared.
    pub fn shared(configured: Option<&Path>) -> AppResult<Arc<PdfFont>> {
        static CACHE: OnceLock<Mutex<HashMap<PathBuf, Arc<PdfFont>>>> = OnceLock::new();
        let path = Self::discover(configured)?;
        let cache = CACHE.get_or_init(|| Mutex::new(HashMap::new()));
        if let Some(font) = cache.lock().ok().and_then(|map| map.get(&path).cloned()) {
            return Ok(font);
        }
        let font = Arc::new(PdfFont::load(&path)?);
        if let Ok(mut map) = cache.lock() {
            map.insert(path, font.clone());
        }
        Ok(font)
    }
}

impl Metrics for PdfFont {
    fn advance(&self, c: char) -> Option<f32> {
        let code = u32::from(c);
        if let Some(advance) = self.bmp.get(code as usize) {
            return (!advance.is_nan()).then_some(*advance);
        }
        self.parsed
            .lookup_glyph_index(code)
            .filter(|gid| *gid != 0)
            .map(|gid| f32::from(self.parsed.get_horizontal_advance(gid)) / self.units_per_em)
    }
}

//! The layout model: a filing as pure data (blocks in, positioned text and rules out), so
//! that page breaks, column widths and line breaks can be snapshot-tested without a PDF.
//!
//! Coordinates are millimetres from the top-left corner of an A4 page; text positions are
//! baselines. The drawing step (`draw`) turns them into PDF operations one to one.

use serde::Serialize;

use super::text::{Metrics, break_lines, sanitize, width_em};

pub const PAGE_WIDTH_MM: f32 = 210.0;
pub const PAGE_HEIGHT_MM: f32 = 297.0;
const MARGIN_LEFT: f32 = 20.0;
const MARGIN_RIGHT: f32 = 20.0;
const MARGIN_TOP: f32 = 20.0;
/// The body stops here; the footer lives below.
const BODY_BOTTOM: f32 = PAGE_HEIGHT_MM - 22.0;
const FOOTER_BASELINE: f32 = PAGE_HEIGHT_MM - 12.0;
/// The footer's second line (the audit chain's head), under the first.
const FOOTER_SECOND_BASELINE: f32 = FOOTER_BASELINE + 3.5;
const CONTENT_WIDTH: f32 = PAGE_WIDTH_MM - MARGIN_LEFT - MARGIN_RIGHT;

const MM_PER_PT: f32 = 25.4 / 72.0;
const TITLE_PT: f32 = 16.0;
const HEADING_PT: f32 = 11.5;
const BODY_PT: f32 = 10.0;
const TABLE_PT: f32 = 9.0;
const FOOTER_PT: f32 = 7.5;
const LINE_SPACING: f32 = 1.45;
const CELL_PAD_X: f32 = 1.5;
const CELL_PAD_Y: f32 = 1.2;
const RULE_PT: f32 = 0.5;
const HEAVY_RULE_PT: f32 = 1.0;
/// Text columns never get narrower than this many full-width characters.
const MIN_TEXT_COLUMN_EM: f32 = 4.0;

/// What a filing says, top to bottom, before it is placed on pages.
#[derive(Debug, Clone, PartialEq)]
pub enum Block {
    /// The document title, centred.
    Title(String),
    /// Lines set flush right (date, reference number).
    Right(Vec<String>),
    /// Lines set flush left without wrapping markers (addressee, applicant).
    Left(Vec<String>),
    Heading(String),
    /// Running text, wrapped with 禁則処理.
    Paragraph(String),
    Table(Table),
    /// Vertical space in millimetres.
    Space(f32),
}

#[derive(Debug, Clone, PartialEq)]
pub struct Table {
    pub columns: Vec<Column>,
    /// Whether the first row is a header, repeated at the top of each page.
    pub header: bool,
    pub rows: Vec<Row>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Column {
    pub title: String,
    /// Numbers: right-aligned and never wrapped.
    pub numeric: bool,
    /// A label column (shaded), as in the 項目 | 内容 tables of a form.
    pub label: bool,
}

impl Column {
    pub fn text(title: &str) -> Self {
        Column {
            title: title.to_owned(),
            numeric: false,
            label: false,
        }
    }
    pub fn number(title: &str) -> Self {
        Column {
            title: title.to_owned(),
            numeric: true,
            label: false,
        }
    }
    pub fn label(title: &str) -> Self {
        Column {
            title: title.to_owned(),
            numeric: false,
            label: true,
        }
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct Row {
    pub cells: Vec<String>,
    /// A totals row: shaded, with a heavy rule above it.
    pub total: bool,
}

impl Row {
    pub fn new(cells: Vec<String>) -> Self {
        Row {
            cells,
            total: false,
        }
    }
    pub fn total(cells: Vec<String>) -> Self {
        Row { cells, total: true }
    }
}

/// What the footer of every page says.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Footer {
    /// The filing's Japanese title.
    pub kind_title: String,
    /// The application number (e.g. `R8-0001`).
    pub reference: String,
    /// A short hash of the data the filing was made from.
    pub data_hash: String,
    /// The audit chain's head at issue (`監査ログ 12 件 1a2b3c4d5e6f`), under the data hash.
    pub audit_head: Option<String>,
}

/// A filing placed on pages: the pure-data result of [`layout`].
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct LayoutDocument {
    pub title: String,
    pub pages: Vec<Page>,
    /// Characters the font cannot draw (or control characters), shown as 〓.
    pub missing_glyphs: Vec<char>,
}

#[derive(Debug, Clone, PartialEq, Default, Serialize)]
pub struct Page {
    pub items: Vec<Item>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum Item {
    /// `text` with its baseline starting at (x, y).
    Text {
        x: f32,
        y: f32,
        size_pt: f32,
        text: String,
    },
    /// A ruled line.
    Line {
        x1: f32,
        y1: f32,
        x2: f32,
        y2: f32,
        width_pt: f32,
    },
    /// A filled rectangle (cell shading), grey level 0 (black) – 1 (white).
    Fill {
        x: f32,
        y: f32,
        w: f32,
        h: f32,
        gray: f32,
    },
}

/// Rounds to 1/100 mm so that snapshots do not depend on the last bits of a float.
fn r(value: f32) -> f32 {
    (value * 100.0).round() / 100.0
}

struct Writer<'m> {
    metrics: &'m dyn Metrics,
    pages: Vec<Page>,
    y: f32,
    missing: Vec<char>,
}

impl<'m> Writer<'m> {
    fn page(&mut self) -> &mut Page {
        if self.pages.is_empty() {
            self.pages.push(Page::default());
        }
        let last = self.pages.len() - 1;
        &mut self.pages[last]
    }

    fn new_page(&mut self) {
        self.pages.push(Page::default());
        self.y = MARGIN_TOP;
    }

    fn remaining(&self) -> f32 {
        BODY_BOTTOM - self.y
    }

    fn clean(&mut self, text: &str) -> String {
        sanitize(text, self.metrics, &mut self.missing)
    }

    fn text(&mut self, x: f32, baseline: f32, size_pt: f32, text: String) {
        if text.is_empty() {
            return;
        }
        self.page().items.push(Item::Text {
            x: r(x),
            y: r(baseline),
            size_pt,
            text,
        });
    }

    fn line(&mut self, x1: f32, y1: f32, x2: f32, y2: f32, width_pt: f32) {
        self.page().items.push(Item::Line {
            x1: r(x1),
            y1: r(y1),
            x2: r(x2),
            y2: r(y2),
            width_pt,
        });
    }

    fn fill(&mut self, x: f32, y: f32, w: f32, h: f32, gray: f32) {
        self.page().items.push(Item::Fill {
            x: r(x),
            y: r(y),
            w: r(w),
            h: r(h),
            gray,
        });
    }

    fn width_mm(&self, text: &str, size_pt: f32) -> f32 {
        width_em(text, self.metrics) * size_pt * MM_PER_PT
    }

    /// Lines of `size_pt` text at the left margin plus `indent`, wrapped to the content
    /// width, continuing on new pages as needed.
    fn paragraph(&mut self, text: &str, size_pt: f32, align: Align) {
        let text = self.clean(text);
        let line_height = size_pt * MM_PER_PT * LINE_SPACING;
        let max_em = CONTENT_WIDTH / (size_pt * MM_PER_PT);
        for line in break_lines(&text, max_em, self.metrics) {
            if self.remaining() < line_height {
                self.new_page();
            }
            let baseline = self.y + size_pt * MM_PER_PT * 1.05;
            let x = match align {
                Align::Left => MARGIN_LEFT,
                Align::Right => PAGE_WIDTH_MM - MARGIN_RIGHT - self.width_mm(&line, size_pt),
                Align::Center => {
                    MARGIN_LEFT + (CONTENT_WIDTH - self.width_mm(&line, size_pt)) / 2.0
                }
            };
            self.text(x, baseline, size_pt, line);
            self.y += line_height;
        }
    }

    fn table(&mut self, table: &Table) {
        let columns = table.columns.len().max(1);
        let rows: Vec<(Vec<String>, bool, bool)> = table
            .rows
            .iter()
            .enumerate()
            .map(|(index, row)| {
                let mut cells: Vec<String> =
                    row.cells.iter().map(|cell| self.clean(cell)).collect();
                cells.resize(columns, String::new());
                (cells, row.total, table.header && index == 0)
            })
            .collect();
        let widths = self.column_widths(&table.columns, &rows);
        let line_height = TABLE_PT * MM_PER_PT * LINE_SPACING;
        let max_ems: Vec<f32> = widths
            .iter()
            .map(|w| ((w - 2.0 * CELL_PAD_X) / (TABLE_PT * MM_PER_PT)).max(0.5))
            .collect();
        let broken: Vec<(Vec<Vec<String>>, bool, bool)> = rows
            .iter()
            .map(|(cells, total, header)| {
                let lines = cells
                    .iter()
                    .zip(&max_ems)
                    .map(|(cell, max_em)| break_lines(cell, *max_em, self.metrics))
                    .collect();
                (lines, *total, *header)
            })
            .collect();
        let header = broken.iter().find(|(_, _, header)| *header).cloned();
        let header_height = header
            .as_ref()
            .map_or(0.0, |(lines, _, _)| row_height(lines, line_height));
        // Start the table on a new page if not even the header and one line fit.
        if self.remaining() < header_height + line_height + 2.0 * CELL_PAD_Y {
            self.new_page();
        }
        for (lines, total, is_header) in &broken {
            let mut from = 0;
            let count = lines.iter().map(Vec::len).max().unwrap_or(1).max(1);
            while from < count {
                let needed = (count - from) as f32 * line_height + 2.0 * CELL_PAD_Y;
                let mut fit = ((self.remaining() - 2.0 * CELL_PAD_Y) / line_height).floor();
                if needed > self.remaining() {
                    let fresh = BODY_BOTTOM - MARGIN_TOP - header_height;
                    // A row that fits on a fresh page moves there whole; only a row taller
                    // than a page is split between pages.
                    if needed <= fresh || fit < 1.0 {
                        self.new_page();
                        if !is_header && let Some((header_lines, _, _)) = &header {
                            self.row(
                                header_lines,
                                0,
                                usize::MAX,
                                &widths,
                                &table.columns,
                                false,
                                true,
                                line_height,
                            );
                        }
                        fit = ((self.remaining() - 2.0 * CELL_PAD_Y) / line_height).floor();
                    }
                }
                let take = (count - from).min(fit.max(1.0) as usize);
                self.row(
                    lines,
                    from,
                    from + take,
                    &widths,
                    &table.columns,
                    *total,
                    *is_header,
                    line_height,
                );
                from += take;
            }
        }
        self.y += 2.0;
    }

    #[allow(clippy::too_many_arguments)]
    fn row(
        &mut self,
        lines: &[Vec<String>],
        from: usize,
        to: usize,
        widths: &[f32],
        columns: &[Column],
        total: bool,
        header: bool,
        line_height: f32,
    ) {
        let shown = lines
            .iter()
            .map(|cell| cell.len().min(to).saturating_sub(from))
            .max()
            .unwrap_or(0)
            .max(1);
        let height = shown as f32 * line_height + 2.0 * CELL_PAD_Y;
        let top = self.y;
        let mut x = MARGIN_LEFT;
        for (index, width) in widths.iter().enumerate() {
            let column = columns.get(index);
            let gray = if header {
                Some(0.85)
            } else if total {
                Some(0.92)
            } else if column.is_some_and(|c| c.label) {
                Some(0.94)
            } else {
                None
            };
            if let Some(gray) = gray {
                self.fill(x, top, *width, height, gray);
            }
            x += width;
        }
        let right_edge = MARGIN_LEFT + widths.iter().sum::<f32>();
        self.line(
            MARGIN_LEFT,
            top,
            right_edge,
            top,
            if total { HEAVY_RULE_PT } else { RULE_PT },
        );
        let mut x = MARGIN_LEFT;
        for (index, width) in widths.iter().enumerate() {
            let numeric = columns.get(index).is_some_and(|c| c.numeric) && !header;
            let cell = lines.get(index).map(Vec::as_slice).unwrap_or(&[]);
            for (offset, line) in cell
                .iter()
                .enumerate()
                .skip(from)
                .take(to.saturating_sub(from))
            {
                let baseline = top
                    + CELL_PAD_Y
                    + (offset - from) as f32 * line_height
                    + TABLE_PT * MM_PER_PT * 1.05;
                let text_x = if numeric {
                    x + width - CELL_PAD_X - self.width_mm(line, TABLE_PT)
                } else if header {
                    x + (width - self.width_mm(line, TABLE_PT)) / 2.0
                } else {
                    x + CELL_PAD_X
                };
                self.text(text_x, baseline, TABLE_PT, line.clone());
            }
            self.line(x, top, x, top + height, RULE_PT);
            x += width;
        }
        self.line(right_edge, top, right_edge, top + height, RULE_PT);
        self.line(MARGIN_LEFT, top + height, right_edge, top + height, RULE_PT);
        self.y = top + height;
    }

    /// Numbers keep their natural width; text columns share the rest in proportion to what
    /// they would like, never below [`MIN_TEXT_COLUMN_EM`] characters.
    fn column_widths(&self, columns: &[Column], rows: &[(Vec<String>, bool, bool)]) -> Vec<f32> {
        let em = TABLE_PT * MM_PER_PT;
        let count = columns.len().max(1);
        let natural: Vec<f32> = (0..count)
            .map(|index| {
                rows.iter()
                    .filter_map(|(cells, _, _)| cells.get(index))
                    .flat_map(|cell| cell.split('\n'))
                    .map(|text| self.width_mm(text, TABLE_PT))
                    .fold(0.0_f32, f32::max)
                    + 2.0 * CELL_PAD_X
                    + 0.5
            })
            .collect();
        // Label columns keep their natural width too, when another column can take the rest.
        let has_free_text = columns.iter().any(|c| !c.numeric && !c.label);
        let numeric = |index: usize| {
            columns
                .get(index)
                .is_some_and(|c| c.numeric || (c.label && has_free_text))
        };
        // One very long text (a 500-character name) must not squeeze its neighbours: a text
        // column asks for at most 45% of the page, and wraps beyond that.
        let natural: Vec<f32> = natural
            .iter()
            .enumerate()
            .map(|(i, w)| {
                if numeric(i) {
                    *w
                } else {
                    w.min(CONTENT_WIDTH * 0.45)
                }
            })
            .collect();
        let fixed: f32 = (0..count).filter(|i| numeric(*i)).map(|i| natural[i]).sum();
        let text: Vec<usize> = (0..count).filter(|i| !numeric(*i)).collect();
        let min_text = MIN_TEXT_COLUMN_EM * em + 2.0 * CELL_PAD_X;
        let wanted: f32 = text.iter().map(|i| natural[*i].max(min_text)).sum();
        let room = CONTENT_WIDTH - fixed;
        if text.is_empty() || room < min_text * text.len() as f32 {
            // Degenerate: scale everything to the page.
            let total: f32 = natural.iter().sum();
            return natural.iter().map(|w| w * CONTENT_WIDTH / total).collect();
        }
        let mut widths = natural.clone();
        if wanted <= room {
            // Everything fits: stretch the text columns to the full width.
            for i in &text {
                widths[*i] = natural[*i].max(min_text) * room / wanted;
            }
        } else {
            let extra_wanted: f32 = text
                .iter()
                .map(|i| natural[*i].max(min_text) - min_text)
                .sum();
            let extra_room = room - min_text * text.len() as f32;
            for i in &text {
                widths[*i] =
                    min_text + (natural[*i].max(min_text) - min_text) * extra_room / extra_wanted;
            }
        }
        widths
    }
}

fn row_height(lines: &[Vec<String>], line_height: f32) -> f32 {
    lines.iter().map(Vec::len).max().unwrap_or(1).max(1) as f32 * line_height + 2.0 * CELL_PAD_Y
}

#[derive(Clone, Copy)]
enum Align {
    Left,
    Right,
    Center,
}

/// Places the blocks on A4 pages and adds the footer to each page.
pub fn layout(
    title: &str,
    blocks: &[Block],
    footer: &Footer,
    metrics: &dyn Metrics,
) -> LayoutDocument {
    let mut writer = Writer {
        metrics,
        pages: vec![Page::default()],
        y: MARGIN_TOP,
        missing: Vec::new(),
    };
    for block in blocks {
        match block {
            Block::Title(text) => {
                writer.paragraph(text, TITLE_PT, Align::Center);
                writer.y += 4.0;
            }
            Block::Right(lines) => {
                for line in lines {
                    writer.paragraph(line, BODY_PT, Align::Right);
                }
            }
            Block::Left(lines) => {
                for line in lines {
                    writer.paragraph(line, BODY_PT, Align::Left);
                }
            }
            Block::Heading(text) => {
                // Keep a heading with at least a few lines of what follows.
                if writer.remaining() < 25.0 {
                    writer.new_page();
                }
                writer.y += 2.0;
                writer.paragraph(text, HEADING_PT, Align::Left);
                writer.y += 0.5;
            }
            Block::Paragraph(text) => writer.paragraph(text, BODY_PT, Align::Left),
            Block::Table(table) => writer.table(table),
            Block::Space(mm) => writer.y = (writer.y + mm).min(BODY_BOTTOM),
        }
    }
    if !writer.missing.is_empty() {
        let codes: Vec<String> = writer
            .missing
            .iter()
            .map(|c| format!("U+{:04X}", u32::from(*c)))
            .collect();
        let note = format!(
            "注: フォントで表示できない文字・制御文字 {} 種を〓で示しています（{}）。",
            codes.len(),
            codes.join(" ")
        );
        writer.y += 3.0;
        writer.paragraph(&note, TABLE_PT, Align::Left);
    }
    let total = writer.pages.len();
    let footer_text_left = writer.clean(&format!("{}　{}", footer.kind_title, footer.reference));
    let footer_text_right = format!("データ照合番号 {}", footer.data_hash);
    let audit_head = footer.audit_head.as_ref().map(|text| {
        let x = PAGE_WIDTH_MM - MARGIN_RIGHT - writer.width_mm(text, FOOTER_PT);
        (x, text.clone())
    });
    for number in 1..=total {
        let centre = format!("{number} / {total}");
        let centre_x = (PAGE_WIDTH_MM - writer.width_mm(&centre, FOOTER_PT)) / 2.0;
        let right_x = PAGE_WIDTH_MM - MARGIN_RIGHT - writer.width_mm(&footer_text_right, FOOTER_PT);
        let page = &mut writer.pages[number - 1];
        page.items.push(Item::Line {
            x1: MARGIN_LEFT,
            y1: r(FOOTER_BASELINE - 4.0),
            x2: PAGE_WIDTH_MM - MARGIN_RIGHT,
            y2: r(FOOTER_BASELINE - 4.0),
            width_pt: RULE_PT,
        });
        for (x, text) in [
            (MARGIN_LEFT, footer_text_left.clone()),
            (centre_x, centre),
            (right_x, footer_text_right.clone()),
        ] {
            page.items.push(Item::Text {
                x: r(x),
                y: r(FOOTER_BASELINE),
                size_pt: FOOTER_PT,
                text,
            });
        }
        if let Some((x, text)) = &audit_head {
            page.items.push(Item::Text {
                x: r(*x),
                y: r(FOOTER_SECOND_BASELINE),
                size_pt: FOOTER_PT,
                text: text.clone(),
            });
        }
    }
    LayoutDocument {
        title: title.to_owned(),
        pages: writer.pages,
        missing_glyphs: writer.missing,
    }
}

impl LayoutDocument {
    /// A readable, line-per-item form of the model for snapshot files.
    pub fn to_snapshot(&self) -> String {
        use std::fmt::Write;
        let mut out = format!("document {:?} pages {}\n", self.title, self.pages.len());
        if !self.missing_glyphs.is_empty() {
            let codes: Vec<String> = self
                .missing_glyphs
                .iter()
                .map(|c| format!("U+{:04X}", u32::from(*c)))
                .collect();
            let _ = writeln!(out, "missing {}", codes.join(" "));
        }
        for (index, page) in self.pages.iter().enumerate() {
            let _ = writeln!(out, "page {}", index + 1);
            for item in &page.items {
                let _ = match item {
                    Item::Text {
                        x,
                        y,
                        size_pt,
                        text,
                    } => {
                        writeln!(out, "  text {x:.2},{y:.2} {size_pt}pt {text:?}")
                    }
                    Item::Line {
                        x1,
                        y1,
                        x2,
                        y2,
                        width_pt,
                    } => {
                        writeln!(out, "  line {x1:.2},{y1:.2} {x2:.2},{y2:.2} {width_pt}pt")
                    }
                    Item::Fill { x, y, w, h, gray } => {
                        writeln!(out, "  fill {x:.2},{y:.2} {w:.2}x{h:.2} gray {gray}")
                    }
                };
            }
        }
        out
    }

    /// Every text item of a page, in order (for tests and the CLI's summary).
    pub fn page_text(&self, page: usize) -> Vec<&str> {
        self.pages
            .get(page)
            .map(|page| {
                page.items
                    .iter()
                    .filter_map(|item| match item {
                        Item::Text { text, .. } => Some(text.as_str()),
                        _ => None,
                    })
                    .collect()
            })
            .unwrap_or_default()
    }
}

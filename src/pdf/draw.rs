//! The drawing step: a [`LayoutDocument`] becomes PDF operations one to one, with the font
//! embedded as a subset. No decisions are taken here; they were all taken by the layout.

use printpdf::{
    Color, Greyscale, Line, LinePoint, Mm, Op, PaintMode, PdfDocument, PdfFontHandle, PdfPage,
    PdfSaveOptions, Point, Pt, Rect, TextItem,
};

use super::font::PdfFont;
use super::layout::{Item, LayoutDocument, PAGE_HEIGHT_MM, PAGE_WIDTH_MM};

fn pt(mm: f32) -> Pt {
    Mm(mm).into()
}

/// A point given from the top-left (the layout's convention) in PDF's bottom-left space.
fn point(x_mm: f32, y_mm: f32) -> Point {
    Point {
        x: pt(x_mm),
        y: pt(PAGE_HEIGHT_MM - y_mm),
    }
}

fn gray(level: f32) -> Color {
    Color::Greyscale(Greyscale {
        percent: level,
        icc_profile: None,
    })
}

/// Renders the document to PDF bytes.
pub fn draw(document: &LayoutDocument, font: &PdfFont) -> Vec<u8> {
    let mut pdf = PdfDocument::new(&document.title);
    let font_id = pdf.add_font(&font.parsed);
    let pages = document
        .pages
        .iter()
        .map(|page| {
            let mut ops = Vec::with_capacity(page.items.len() * 5);
            for item in &page.items {
                match item {
                    Item::Fill {
                        x,
                        y,
                        w,
                        h,
                        gray: level,
                    } => {
                        ops.push(Op::SaveGraphicsState);
                        ops.push(Op::SetFillColor { col: gray(*level) });
                        let mut rectangle =
                            Rect::from_xywh(pt(*x), pt(PAGE_HEIGHT_MM - y - h), pt(*w), pt(*h));
                        rectangle.mode = Some(PaintMode::Fill);
                        ops.push(Op::DrawRectangle { rectangle });
                        ops.push(Op::RestoreGraphicsState);
                    }
                    Item::Line {
                        x1,
                        y1,
                        x2,
                        y2,
                        width_pt,
                    } => {
                        ops.push(Op::SetOutlineThickness { pt: Pt(*width_pt) });
                        ops.push(Op::DrawLine {
                            line: Line {
                                points: vec![
                                    LinePoint {
                                        p: point(*x1, *y1),
                                        bezier: false,
                                    },
                                    LinePoint {
                                        p: point(*x2, *y2),
                                        bezier: false,
                                    },
                                ],
                                is_closed: false,
                            },
                        });
                    }
                    Item::Text {
                        x,
                        y,
                        size_pt,
                        text,
                    } => {
                        ops.push(Op::StartTextSection);
                        ops.push(Op::SetFont {
                            font: PdfFontHandle::External(font_id.clone()),
                            size: Pt(*size_pt),
                        });
                        ops.push(Op::SetTextCursor { pos: point(*x, *y) });
                        ops.push(Op::ShowText {
                            items: vec![TextItem::Text(text.clone())],
                        });
                        ops.push(Op::EndTextSection);
                    }
                }
            }
            PdfPage::new(Mm(PAGE_WIDTH_MM), Mm(PAGE_HEIGHT_MM), ops)
        })
        .collect();
    let options = PdfSaveOptions {
        subset_fonts: true,
        ..PdfSaveOptions::default()
    };
    let mut warnings = Vec::new();
    let bytes = pdf.with_pages(pages).save(&options, &mut warnings);
    for warning in warnings {
        tracing::debug!(?warning, "printpdf warning");
    }
    bytes
}

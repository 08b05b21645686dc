//! The sections a template places with `@name`, one function each: the tables and
//! paragraphs of a filing, made from its data.

use super::forms::Section;
use super::{
    Composer, FilingKind, Judgement, UNDECIDED, date, eligible_sum, label, titled_table, yen,
};
use crate::domain::budget::claimed_total;
use crate::domain::calendar::{FiscalYear, wareki_date};
use crate::domain::codes::{ApplicantRole, ExpenseCategory, Frame, FundingSource};
use crate::domain::evaluation::Severity;
use crate::domain::workflow::ReportKind;
use crate::pdf::data::BudgetLineEntry;
use crate::pdf::layout::{Block, Column, Row, Table};

impl Composer<'_> {
    pub(super) fn section(&self, section: Section, blocks: &mut Vec<Block>) {
        match section {
            Section::Title => self.title(blocks),
            Section::Fields => self.fields(blocks),
            Section::Assumptions => self.assumptions(blocks),
            Section::Members => self.members(blocks),
            Section::Partners => self.partners(blocks),
            Section::LegalBasis => self.legal_basis(blocks),
            Section::Activities => self.activities(blocks),
            Section::BudgetLines => self.budget_lines(blocks),
            Section::BudgetMatrix => self.budget_matrix(blocks),
            Section::BudgetByCategory => self.budget_by_category(blocks),
            Section::Subsidy => self.subsidy(blocks),
            Section::PriorAwards => self.prior_awards(blocks),
            Section::Findings => self.findings(blocks),
            Section::ActualsByCategory => self.actuals_by_category(blocks),
            Section::Reports => self.reports(blocks),
            Section::ReportBody => self.report_body(blocks),
        }
    }

    fn title(&self, blocks: &mut Vec<Block>) {
        blocks.push(Block::Title(self.forms.title(self.kind).to_owned()))
    }

    fn fields(&self, blocks: &mut Vec<Block>) {
        let fields = self
            .forms
            .definition(self.kind)
            .map(|d| d.fields.as_slice())
            .unwrap_or(&[]);
        blocks.push(Block::Table(Table {
            columns: vec![Column::label("項目"), Column::text("内容")],
            header: false,
            rows: fields
                .iter()
                .map(|field| Row::new(vec![field.label.clone(), self.value(field.key)]))
                .collect(),
        }));
    }

    fn assumptions(&self, blocks: &mut Vec<Block>) {
        if !self.data.assumptions.is_empty() {
            blocks.push(Block::Paragraph(format!(
                "注: {}。",
                self.data.assumptions.join("。")
            )));
        }
    }

    fn members(&self, blocks: &mut Vec<Block>) {
        let app = self.app();
        blocks.push(titled_table(
            vec![
                Column::text("役割"),
                Column::text("名称"),
                Column::text("法人番号"),
                Column::text("種別"),
                Column::number("従業員数"),
                Column::number("資本金"),
            ],
            app.members.iter().map(|m| {
                Row::new(vec![
                    if m.role == ApplicantRole::Lead {
                        "代表申請者"
                    } else {
                        "共同申請者"
                    }
                    .to_owned(),
                    m.name.clone(),
                    m.corporate_number.clone().unwrap_or_else(|| "—".to_owned()),
                    m.kind.label_ja().to_owned(),
                    m.employees
                        .map_or_else(|| "—".to_owned(), |n| format!("{n}人")),
                    m.capital_yen.map_or_else(|| "—".to_owned(), yen),
                ])
            }),
        ))
    }

    fn partners(&self, blocks: &mut Vec<Block>) {
        let app = self.app();
        if app.partners.is_empty() {
            blocks.push(Block::Paragraph("なし".to_owned()));
        } else {
            blocks.push(titled_table(
                vec![
                    Column::text("種別"),
                    Column::text("名称"),
                    Column::text("連携の根拠"),
                ],
                app.partners.iter().map(|p| {
                    Row::new(vec![
                        p.kind.label_ja().to_owned(),
                        p.name.clone(),
                        p.agreement.clone().unwrap_or_else(|| "—".to_owned()),
                    ])
                }),
            ));
        }
    }

    fn legal_basis(&self, blocks: &mut Vec<Block>) {
        let app = self.app();
        match &app.legal_basis {
            None => blocks.push(Block::Paragraph("なし".to_owned())),
            Some(basis) => blocks.push(Block::Table(Table {
                columns: vec![Column::label("項目"), Column::text("内容")],
                header: false,
                rows: vec![
                    Row::new(vec!["法律".to_owned(), basis.path.label_ja().to_owned()]),
                    Row::new(vec![
                        "承認等を受けた者".to_owned(),
                        basis.holder_name.clone(),
                    ]),
                    Row::new(vec!["承認等をした者".to_owned(), basis.granted_by.clone()]),
                    Row::new(vec![
                        "有効期間".to_owned(),
                        format!(
                            "{} 〜 {}",
                            wareki_date(basis.granted_on),
                            basis.valid_until.map_or_else(
                                || "定めなし".to_owned(),
                                |d| wareki_date(d).to_string()
                            )
                        ),
                    ]),
                    Row::new(vec![
                        "人材確保等の取組の記載".to_owned(),
                        if basis.includes_talent_measures {
                            "あり"
                        } else {
                            "なし"
                        }
                        .to_owned(),
                    ]),
                    Row::new(vec![
                        "証憑".to_owned(),
                        basis
                            .evidence_reference
                            .clone()
                            .unwrap_or_else(|| "—".to_owned()),
                    ]),
                ],
            })),
        }
    }

    fn activities(&self, blocks: &mut Vec<Block>) {
        let app = self.app();
        blocks.push(titled_table(
            vec![
                Column::text("活動"),
                Column::text("区分"),
                Column::text("成果指標（KPI）"),
                Column::number("事業費"),
            ],
            app.activities.iter().map(|a| {
                let mut category = a.category.label_ja().to_owned();
                if a.executive_internship {
                    category.push_str("（幹部インターンシップ）");
                }
                Row::new(vec![
                    a.name.clone(),
                    category,
                    a.kpi.clone().unwrap_or_else(|| "—".to_owned()),
                    yen(a.lines.iter().map(|l| l.amount_yen).sum()),
                ])
            }),
        ))
    }

    fn budget_lines(&self, blocks: &mut Vec<Block>) {
        let app = self.app();
        let mut rows = Vec::new();
        for activity in &app.activities {
            for (index, line) in activity.lines.iter().enumerate() {
                // The activity is named once, on its first line, as on a paper form.
                let name = if index == 0 {
                    activity.name.clone()
                } else {
                    String::new()
                };
                rows.push(Row::new(vec![
                    name,
                    line.category.label_ja().to_owned(),
                    line.description.clone(),
                    line.funding_source.label_ja().to_owned(),
                    yen(line.amount_yen),
                ]));
            }
            rows.push(Row::total(vec![
                "小計".to_owned(),
                String::new(),
                String::new(),
                String::new(),
                yen(activity.lines.iter().map(|l| l.amount_yen).sum()),
            ]));
        }
        rows.push(Row::total(vec![
            "合計".to_owned(),
            String::new(),
            String::new(),
            String::new(),
            yen(self.lines().map(|l| l.amount_yen).sum()),
        ]));
        blocks.push(titled_table(
            vec![
                Column::text("活動"),
                Column::text("経費区分"),
                Column::text("内容"),
                Column::text("財源"),
                Column::number("金額"),
            ],
            rows,
        ));
    }

    fn budget_matrix(&self, blocks: &mut Vec<Block>) {
        let sources: Vec<&FundingSource> = FundingSource::ALL
            .iter()
            .filter(|s| self.lines().any(|l| l.funding_source == **s))
            .collect();
        let mut titles = vec!["経費区分".to_owned()];
        titles.extend(sources.iter().map(|s| s.label_ja().to_owned()));
        titles.push("合計".to_owned());
        let mut columns = vec![Column::text("経費区分")];
        columns.extend(titles[1..].iter().map(|t| Column::number(t)));
        let mut rows = vec![Row::new(titles)];
        let sum = |category: Option<ExpenseCategory>, source: Option<FundingSource>| -> i64 {
            self.lines()
                .filter(|l| category.is_none_or(|c| l.category == c))
                .filter(|l| source.is_none_or(|s| l.funding_source == s))
                .map(|l| l.amount_yen)
                .sum()
        };
        for category in ExpenseCategory::ALL {
            if !self.lines().any(|l| l.category == *category) {
                continue;
            }
            let mut cells = vec![category.label_ja().to_owned()];
            cells.extend(sources.iter().map(|s| yen(sum(Some(*category), Some(**s)))));
            cells.push(yen(sum(Some(*category), None)));
            rows.push(Row::new(cells));
        }
        let mut totals = vec!["合計".to_owned()];
        totals.extend(sources.iter().map(|s| yen(sum(None, Some(**s)))));
        totals.push(yen(sum(None, None)));
        rows.push(Row::total(totals));
        blocks.push(Block::Table(Table {
            columns,
            header: true,
            rows,
        }));
    }

    fn budget_by_category(&self, blocks: &mut Vec<Block>) {
        let mut rows = Vec::new();
        for category in ExpenseCategory::ALL {
            let lines: Vec<&BudgetLineEntry> =
                self.lines().filter(|l| l.category == *category).collect();
            if lines.is_empty() {
                continue;
            }
            rows.push(Row::new(vec![
                category.label_ja().to_owned(),
                yen(lines.iter().map(|l| l.amount_yen).sum()),
                yen(eligible_sum(lines.iter().copied())),
            ]));
        }
        rows.push(Row::total(vec![
            "合計".to_owned(),
            yen(self.lines().map(|l| l.amount_yen).sum()),
            yen(eligible_sum(self.lines())),
        ]));
        blocks.push(titled_table(
            vec![
                Column::text("経費区分"),
                Column::number("事業費"),
                Column::number("補助対象経費"),
            ],
            rows,
        ));
    }

    fn subsidy(&self, blocks: &mut Vec<Block>) {
        match &self.data.judgement {
            Judgement::Decided(d) => blocks.push(Block::Table(Table {
                columns: vec![Column::label("項目"), Column::number("金額等")],
                header: false,
                rows: vec![
                    Row::new(vec![
                        "補助対象経費".to_owned(),
                        yen(d.eligible_expenses_yen),
                    ]),
                    Row::new(vec![
                        "補助率".to_owned(),
                        d.rate.clone().unwrap_or_else(|| "—".to_owned()),
                    ]),
                    Row::new(vec!["補助上限額".to_owned(), yen(d.cap_yen)]),
                    Row::new(vec![
                        "端数処理".to_owned(),
                        format!("{}未満切捨て", yen(d.rounding_unit_yen)),
                    ]),
                    Row::total(vec!["補助金額".to_owned(), yen(d.subsidy_yen)]),
                ],
            })),
            Judgement::NotJudged { errors } => blocks.push(Block::Paragraph(format!(
                "補助金額は算定できません（{}）。入力を補ってください: {}",
                UNDECIDED,
                errors.join("／")
            ))),
        }
    }

    fn prior_awards(&self, blocks: &mut Vec<Block>) {
        match self.decision() {
            Some(d) if !d.prior_awards.is_empty() => blocks.push(titled_table(
                vec![
                    Column::text("年度"),
                    Column::text("枠"),
                    Column::text("公表名"),
                    Column::text("申請者"),
                ],
                d.prior_awards.iter().map(|p| {
                    Row::new(vec![
                        FiscalYear(p.fiscal_year).to_string(),
                        label(&p.frame, Frame::label_ja),
                        p.listed_as.clone(),
                        p.applicant.clone(),
                    ])
                }),
            )),
            Some(_) => blocks.push(Block::Paragraph(
                "数えるべき過去の採択はありません。".to_owned(),
            )),
            None => blocks.push(Block::Paragraph(UNDECIDED.to_owned())),
        }
    }

    fn findings(&self, blocks: &mut Vec<Block>) {
        match &self.data.judgement {
            Judgement::Decided(d) if !d.findings.is_empty() => blocks.push(titled_table(
                vec![
                    Column::text("重要度"),
                    Column::text("所見"),
                    Column::text("根拠"),
                ],
                d.findings.iter().map(|f| {
                    let severity = match f.severity {
                        Severity::Error => "不適合",
                        Severity::Warning => "注意",
                        Severity::Info => "情報",
                    };
                    Row::new(vec![
                        severity.to_owned(),
                        format!("{}（{}）", f.message, f.code),
                        f.source.clone(),
                    ])
                }),
            )),
            Judgement::Decided(_) => blocks.push(Block::Paragraph("所見はありません。".to_owned())),
            Judgement::NotJudged { errors } => {
                blocks.push(Block::Paragraph(
                    "入力が不足しているため判定できません:".to_owned(),
                ));
                for error in errors {
                    blocks.push(Block::Paragraph(format!("・{error}")));
                }
            }
        }
    }

    fn actuals_by_category(&self, blocks: &mut Vec<Block>) {
        let mut rows = Vec::new();
        let mut any_actual = false;
        let mut budget_total = 0;
        let mut actual_total = 0;
        for category in ExpenseCategory::ALL {
            let lines: Vec<&BudgetLineEntry> = self
                .lines()
                .filter(|l| l.category == *category && l.amounts().is_claimed())
                .collect();
            if lines.is_empty() {
                continue;
            }
            let budget = claimed_total(lines.iter().map(|l| l.amounts())).value();
            budget_total += budget;
            let actuals: Vec<i64> = lines.iter().filter_map(|l| l.actual_amount_yen).collect();
            let (actual, difference) = if actuals.is_empty() {
                (UNDECIDED.to_owned(), UNDECIDED.to_owned())
            } else {
                any_actual = true;
                let actual: i64 = actuals.iter().sum();
                actual_total += actual;
                (yen(actual), yen(actual - budget))
            };
            rows.push(Row::new(vec![
                category.label_ja().to_owned(),
                yen(budget),
                actual,
                difference,
            ]));
        }
        let (actual, difference) = if any_actual {
            (yen(actual_total), yen(actual_total - budget_total))
        } else {
            (UNDECIDED.to_owned(), UNDECIDED.to_owned())
        };
        rows.push(Row::total(vec![
            "合計".to_owned(),
            yen(budget_total),
            actual,
            difference,
        ]));
        blocks.push(titled_table(
            vec![
                Column::text("経費区分"),
                Column::number("予算額（補助対象）"),
                Column::number("実績額"),
                Column::number("差額"),
            ],
            rows,
        ));
    }

    /// What the latest report of the filing's kind says (its summary, as the grantee wrote it).
    fn report_body(&self, blocks: &mut Vec<Block>) {
        let kind = match self.kind {
            FilingKind::InterimReport => ReportKind::Interim,
            _ => ReportKind::Completion,
        };
        let body = self
            .app()
            .reports
            .iter()
            .rev()
            .find(|report| report.kind == kind)
            .and_then(|report| serde_json::from_str::<serde_json::Value>(&report.body_json).ok())
            .and_then(|body| {
                body.get("body")
                    .and_then(|text| text.as_str())
                    .map(str::to_owned)
            })
            .filter(|text| !text.trim().is_empty());
        blocks.push(Block::Paragraph(
            body.unwrap_or_else(|| "（記載なし）".to_owned()),
        ));
    }

    fn reports(&self, blocks: &mut Vec<Block>) {
        let app = self.app();
        if app.reports.is_empty() {
            blocks.push(Block::Paragraph(
                "提出済みの報告はまだありません。".to_owned(),
            ));
        } else {
            blocks.push(titled_table(
                vec![
                    Column::text("種類"),
                    Column::text("状態"),
                    Column::text("提出日"),
                ],
                app.reports.iter().map(|r| {
                    Row::new(vec![
                        r.kind.label_ja().to_owned(),
                        r.status.label_ja().to_owned(),
                        date(r.submitted_on),
                    ])
                }),
            ));
        }
    }
}

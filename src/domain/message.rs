//! Finding messages: kept as data while evaluating, and rendered only when shown (`Display`,
//! which the decision's JSON, the PDF, the pages and the CLI's explanation all use). Each
//! message is written once, as a sequence of pieces for a [`MessageSink`].

use std::fmt;

use chrono::NaiveDate;
use serde::Serialize;

use super::calendar::{FiscalYear, wareki_date};
use super::codes::{ApplicantKind, ExpenseCategory, Frame, Industry, LegalPath, PartnerKind};
use super::money::{Rate, SubsidyCalculation, Yen};
use super::program::Certainty;

/// A finding's Japanese message. Kept as data so that evaluating allocates nothing for it;
/// it is rendered when serialised or displayed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Message<'a> {
    Static(&'static str),
    /// A value's note from the year's file (Japanese, checked at load).
    ValueNote(&'a str),
    FiscalYearMismatch {
        requested: FiscalYear,
        program: FiscalYear,
    },
    FrameNotInYear {
        frame: Frame,
        fiscal_year: FiscalYear,
    },
    OutsideWindow {
        date: NaiveDate,
        opens: NaiveDate,
        closes: NaiveDate,
    },
    MunicipalityApplicant {
        name: &'a str,
    },
    KindNotEligible {
        name: &'a str,
        kind: ApplicantKind,
    },
    CompanyTooLarge {
        name: &'a str,
        employees: u32,
        max_employees: u32,
    },
    SmeClaimNotMet {
        name: &'a str,
        industry: Industry,
        max_capital: Option<Yen>,
        max_employees: Option<u32>,
        midsize_max_employees: u32,
    },
    MidsizeClaimIsSme {
        name: &'a str,
    },
    PartnerMissing {
        kind: PartnerKind,
        frame: Frame,
    },
    LegalPathNotAllowed {
        path: LegalPath,
        frame: Frame,
    },
    LegalBasisNotYetGranted {
        granted_on: NaiveDate,
        application_date: NaiveDate,
    },
    LegalBasisExpired {
        valid_until: NaiveDate,
        application_date: NaiveDate,
    },
    LegalBasisExpiresDuringProject {
        valid_until: NaiveDate,
        project_end: NaiveDate,
        refused: bool,
    },
    ProjectOutsideFiscalYear {
        fiscal_year: FiscalYear,
        start: NaiveDate,
        end: NaiveDate,
        year_start: NaiveDate,
        year_end: NaiveDate,
    },
    ProjectStartsBeforeApplication {
        start: NaiveDate,
        application_date: NaiveDate,
    },
    HolderNotApplicant {
        holder: &'a str,
    },
    HolderKindNotAllowed {
        holder: &'a str,
        kind: ApplicantKind,
        path: LegalPath,
        allowed: &'a [ApplicantKind],
        /// `false`: accepted for 事務局 review.
        refused: bool,
    },
    GrantorNotAccepted {
        granted_by: &'a str,
        path: LegalPath,
        markers: &'a [String],
    },
    TalentMeasuresMissing {
        path: LegalPath,
    },
    ExpenseCategoryNotAllowed {
        category: ExpenseCategory,
    },
    ExpenseShareHigh {
        category: ExpenseCategory,
        amount: Yen,
        eligible: Yen,
        share: Rate,
    },
    AmbiguousOrganisation {
        name: &'a str,
        candidates: usize,
    },
    HistoryUnmatched {
        name: &'a str,
    },
    SimilarAwardedOrganisation {
        name: &'a str,
        candidate: &'a str,
        ordinal: u32,
        rate: Option<Rate>,
        /// The award cap, when this ordinal would exceed it.
        over_cap: Option<u32>,
    },
    SameYearAwardNotCounted {
        listed_as: &'a str,
        award_id: &'a str,
        fiscal_year: FiscalYear,
        frame: Frame,
    },
    AwardOrdinal {
        ordinal: u32,
        counted_for: Option<&'a str>,
    },
    AwardCapExceeded {
        ordinal: u32,
        cap: u32,
    },
    NoRateForOrdinal {
        frame: Frame,
        ordinal: u32,
    },
    RateInterpretation {
        ordinal: u32,
        rate: Rate,
        certainty: Certainty,
    },
    Calculation {
        frame: Frame,
        ordinal: u32,
        rate: Rate,
        eligible: Yen,
        unit: Yen,
        cap: Yen,
        calculation: SubsidyCalculation,
    },
}

/// Where a message's pieces go.
pub(super) trait MessageSink {
    /// Text of the message itself: a template literal or a code's Japanese label, never
    /// anything from a request, so it never needs escaping.
    fn fixed(&mut self, text: &'static str);
    /// Text from the request, the ledger or the programme (a name), as it is.
    fn given(&mut self, text: &str);
    fn count(&mut self, number: u64);
    fn yen(&mut self, amount: Yen);
    /// Anything else with a `Display` (dates, years): rare, so the slow way is fine.
    fn show(&mut self, value: &dyn fmt::Display);

    fn rate(&mut self, rate: Rate) {
        self.count(rate.numerator().into());
        self.fixed("/");
        self.count(rate.denominator().into());
    }
}

/// `say!(sink, "literal", given(name), count(n), …)`: each literal is [`MessageSink::fixed`],
/// each `method(value)` a call of that sink method.
macro_rules! say {
    (@ $sink:ident $(,)?) => {};
    (@ $sink:ident, $text:literal $($rest:tt)*) => {
        $sink.fixed($text);
        say!(@ $sink $($rest)*);
    };
    (@ $sink:ident, $method:ident($value:expr) $($rest:tt)*) => {
        $sink.$method($value);
        say!(@ $sink $($rest)*);
    };
    ($sink:ident, $($pieces:tt)*) => {{
        say!(@ $sink, $($pieces)*);
    }};
}

impl Message<'_> {
    pub(super) fn render(&self, out: &mut impl MessageSink) {
        match self {
            Message::Static(text) => out.fixed(text),
            Message::ValueNote(note) => out.given(note),
            Message::FiscalYearMismatch { requested, program } => say!(
                out,
                "申請の年度（",
                show(requested),
                "）と評価に使った事業定義の年度（",
                show(program),
                "）が一致しません。"
            ),
            Message::FrameNotInYear { frame, fiscal_year } => say!(
                out,
                show(fiscal_year),
                "の事業には",
                fixed(frame.label_ja()),
                "（",
                fixed(frame.as_str()),
                "）がありません。その年度の枠を選んでください。"
            ),
            Message::OutsideWindow {
                date,
                opens,
                closes,
            } => say!(
                out,
                "申請日（",
                show(&wareki_date(*date)),
                "）が公募期間（",
                show(&wareki_date(*opens)),
                "〜",
                show(&wareki_date(*closes)),
                "）の外です。"
            ),
            Message::MunicipalityApplicant { name } => say!(
                out,
                given(name),
                ": 地方公共団体は申請者になれません。連携先として登録してください。"
            ),
            Message::KindNotEligible { name, kind } => say!(
                out,
                given(name),
                ": ",
                fixed(kind.label_ja()),
                "は補助対象者ではありません（対象は中堅・中小企業、一般・公益の社団・財団法人、特定非営利活動法人、商工会・商工会議所等、地方銀行・信用金庫・信用組合、組合）。"
            ),
            Message::CompanyTooLarge {
                name,
                employees,
                max_employees,
            } => say!(
                out,
                given(name),
                ": 常時使用する従業員数",
                count((*employees).into()),
                "人で中小企業者の基準も満たさないため、中堅企業者（従業員",
                count((*max_employees).into()),
                "人以下）に当たらず、申請できません。"
            ),
            Message::SmeClaimNotMet {
                name,
                industry,
                max_capital,
                max_employees,
                midsize_max_employees,
            } => {
                say!(
                    out,
                    given(name),
                    ": 中小企業者（",
                    fixed(industry.label_ja()),
                    "）の基準"
                );
                if let (Some(capital), Some(employees)) = (max_capital, max_employees) {
                    say!(
                        out,
                        "（資本金",
                        yen(*capital),
                        "以下又は従業員",
                        count((*employees).into()),
                        "人以下）"
                    );
                }
                say!(
                    out,
                    "を満たしていません。従業員",
                    count((*midsize_max_employees).into()),
                    "人以下の中堅企業者として対象になりますので、申請者の種別を「中堅企業者」に直してください。"
                );
            }
            Message::MidsizeClaimIsSme { name } => say!(
                out,
                given(name),
                ": 資本金又は従業員数が中小企業者の基準内です。申請者の種別は「中小企業者」が正しい可能性があります。"
            ),
            Message::PartnerMissing { kind, frame } => {
                let label = kind.label_ja();
                match kind {
                    PartnerKind::Municipality => say!(
                        out,
                        "対象地域の",
                        fixed(label),
                        "との連携が必要です。連携する市町村を連携先（種別: 市町村）に追加してください。"
                    ),
                    PartnerKind::EducationInstitution => say!(
                        out,
                        fixed(frame.label_ja()),
                        "では地域の",
                        fixed(label),
                        "（大学・高専・専門学校等）との連携が必要です。連携同意書等のある教育機関を連携先（kind: education_institution）に追加してください。"
                    ),
                    _ => say!(
                        out,
                        fixed(frame.label_ja()),
                        "では",
                        fixed(label),
                        "との連携が必要です。連携先に追加してください。"
                    ),
                }
            }
            Message::LegalPathNotAllowed { path, frame } => say!(
                out,
                fixed(frame.label_ja()),
                "では",
                fixed(path.label_ja()),
                "は要件になりません。"
            ),
            Message::LegalBasisNotYetGranted {
                granted_on,
                application_date,
            } => say!(
                out,
                "承認等の日（",
                show(&wareki_date(*granted_on)),
                "）が申請日（",
                show(&wareki_date(*application_date)),
                "）より後です。申請日に承認等を受けている必要があります。"
            ),
            Message::LegalBasisExpired {
                valid_until,
                application_date,
            } => say!(
                out,
                "承認等の有効期限（",
                show(&wareki_date(*valid_until)),
                "）が申請日（",
                show(&wareki_date(*application_date)),
                "）より前に切れています。更新（変更認定等）を受けてから申請してください。"
            ),
            Message::LegalBasisExpiresDuringProject {
                valid_until,
                project_end,
                refused,
            } => {
                say!(
                    out,
                    "承認等の有効期限（",
                    show(&wareki_date(*valid_until)),
                    "）が補助事業の終了日（",
                    show(&wareki_date(*project_end)),
                    "）より前です。"
                );
                if *refused {
                    out.fixed("補助事業の期間中ずっと有効な承認等が必要なため、このままでは申請できません。更新（変更認定等）を受けるか、事業の終了日を有効期限内にしてください。");
                } else {
                    out.fixed("期間中の更新の見込みを事務局が確認します。");
                }
            }
            Message::ProjectOutsideFiscalYear {
                fiscal_year,
                start,
                end,
                year_start,
                year_end,
            } => say!(
                out,
                "補助事業の期間（",
                show(&wareki_date(*start)),
                "〜",
                show(&wareki_date(*end)),
                "）が申請年度（",
                show(fiscal_year),
                ": ",
                show(&wareki_date(*year_start)),
                "〜",
                show(&wareki_date(*year_end)),
                "）の外にはみ出しています。単年度の予算のため、事業は",
                show(&wareki_date(*year_end)),
                "までに終える計画にしてください。"
            ),
            Message::ProjectStartsBeforeApplication {
                start,
                application_date,
            } => say!(
                out,
                "補助事業の開始日（",
                show(&wareki_date(*start)),
                "）が申請日（",
                show(&wareki_date(*application_date)),
                "）より前です。通常、交付決定より前の経費は補助の対象になりません。開始日を確認してください。"
            ),
            Message::HolderNotApplicant { holder } => say!(
                out,
                "承認等を受けた者（",
                given(holder),
                "）が申請者（代表又は共同申請者）の中に見つかりません。承認等を受けた者を申請者に加えるか、名称を承認通知書のとおりに揃えてください。申請者以外が承認等を受けている場合は事務局の確認が必要です。"
            ),
            Message::HolderKindNotAllowed {
                holder,
                kind,
                path,
                allowed,
                refused,
            } => {
                say!(out, fixed(path.label_ja()), "の承認等を要件にできるのは ");
                for (index, allowed_kind) in allowed.iter().enumerate() {
                    if index > 0 {
                        out.fixed("・");
                    }
                    out.fixed(allowed_kind.label_ja());
                }
                say!(
                    out,
                    " です（",
                    given(holder),
                    "は",
                    fixed(kind.label_ja()),
                    "）。"
                );
                if !refused {
                    out.fixed("ただし承認等を受けられる者は「等」を含む例示のため申請は受け付け、事務局が承認等（指定通知書等）の内容を確認します。");
                }
            }
            Message::GrantorNotAccepted {
                granted_by,
                path,
                markers,
            } => {
                say!(
                    out,
                    fixed(path.label_ja()),
                    "は市町村長が行うものです（承認等をした者: ",
                    given(granted_by),
                    "）。指定通知書の発行者（"
                );
                for (index, marker) in markers.iter().enumerate() {
                    if index > 0 {
                        out.fixed("・");
                    }
                    out.given(marker);
                }
                out.fixed("）を入力してください。");
            }
            Message::TalentMeasuresMissing { path } => say!(
                out,
                fixed(path.label_ja()),
                ": 計画に人材確保等の取組が記載されている必要があります。記載のある計画（又は変更後の計画）の承認等を受けてください。"
            ),
            Message::ExpenseCategoryNotAllowed { category } => say!(
                out,
                "経費区分「",
                fixed(category.label_ja()),
                "」はこの年度の補助対象経費の区分にありません。"
            ),
            Message::ExpenseShareHigh {
                category,
                amount,
                eligible,
                share,
            } => say!(
                out,
                fixed(category.label_ja()),
                "（",
                yen(*amount),
                "）が補助対象経費の合計（",
                yen(*eligible),
                "）の",
                rate(*share),
                "を超えています。事業の主要部分を外部に任せていないか、事務局に確認してください。"
            ),
            Message::AmbiguousOrganisation { name, candidates } => say!(
                out,
                "「",
                given(name),
                "」に一致する事業者が採択台帳に",
                count(*candidates as u64),
                "件あります。最も採択回数の多いものとして数えました。法人番号を入力すると確定できます。"
            ),
            Message::HistoryUnmatched { name } => say!(
                out,
                "過去の採択（history）の「",
                given(name),
                "」はどの申請者の名称とも一致しないため数えていません。申請者の名称と揃えてください。"
            ),
            Message::SimilarAwardedOrganisation {
                name,
                candidate,
                ordinal,
                rate,
                over_cap,
            } => {
                say!(
                    out,
                    "「",
                    given(name),
                    "」は採択台帳のどの事業者とも一致しませんが、採択を受けた「",
                    given(candidate),
                    "」と名称が似ています。「",
                    given(candidate),
                    "」と同じ団体であれば採択",
                    count((*ordinal).into()),
                    "回目となり、"
                );
                match (over_cap, rate) {
                    (Some(cap), _) => say!(
                        out,
                        "採択回数の上限（",
                        count((*cap).into()),
                        "回）を超えるため申請できません。"
                    ),
                    (None, Some(rate)) => say!(out, "補助率は", rate(*rate), "です。"),
                    (None, None) => out.fixed("その回数の補助率は定められていません。"),
                }
                out.fixed("今回は別の団体として数えています。事務局が法人番号等で同じ団体かどうかを確認してください。");
            }
            Message::SameYearAwardNotCounted {
                listed_as,
                award_id,
                fiscal_year,
                frame,
            } => say!(
                out,
                "採択台帳の",
                show(fiscal_year),
                "・",
                fixed(frame.label_ja()),
                "の採択（",
                given(award_id),
                "「",
                given(listed_as),
                "」）は、同じ年度・同じ枠の今回の申請そのもの（又はその重複）のため、過去の採択として数えていません。"
            ),
            Message::AwardOrdinal {
                ordinal,
                counted_for,
            } => {
                say!(out, "今回は採択回数", count((*ordinal).into()), "回目です");
                match counted_for {
                    Some(name) => say!(
                        out,
                        "（",
                        given(name),
                        "の令和4年度以降の採択",
                        count((ordinal - 1).into()),
                        "回を、枠を問わず数えています）。"
                    ),
                    None => out.fixed("（令和4年度以降の採択は見つかりませんでした）。"),
                }
            }
            Message::AwardCapExceeded { ordinal, cap } => say!(
                out,
                "採択回数の上限は",
                count((*cap).into()),
                "回です。今回は",
                count((*ordinal).into()),
                "回目の採択となるため申請できません（",
                count(u64::from(*cap) + 1),
                "回目の採択は不可）。"
            ),
            Message::NoRateForOrdinal { frame, ordinal } => say!(
                out,
                fixed(frame.label_ja()),
                "には採択",
                count((*ordinal).into()),
                "回目の補助率が定められていません。"
            ),
            Message::RateInterpretation {
                ordinal,
                rate,
                certainty,
            } => {
                let kind = match certainty {
                    Certainty::Interpretation => "資料の解釈",
                    _ => "公募要領の公表前の暫定値",
                };
                say!(
                    out,
                    "採択",
                    count((*ordinal).into()),
                    "回目の補助率",
                    rate(*rate),
                    "は",
                    fixed(kind),
                    "によるものです。公募要領で確認してください。"
                );
            }
            Message::Calculation {
                frame,
                ordinal,
                rate,
                eligible,
                unit,
                cap,
                calculation,
            } => {
                say!(
                    out,
                    fixed(frame.label_ja()),
                    " 採択",
                    count((*ordinal).into()),
                    "回目の補助率は",
                    rate(*rate),
                    "です。補助対象経費",
                    yen(*eligible),
                    " × ",
                    rate(*rate),
                    " = ",
                    yen(calculation.before_rounding)
                );
                if calculation.rounded != calculation.before_rounding {
                    say!(
                        out,
                        "（",
                        yen(*unit),
                        "未満切捨て → ",
                        yen(calculation.rounded),
                        "）"
                    );
                }
                let verdict = if calculation.capped() {
                    "を超えるため補助額は"
                } else {
                    "以内のため補助額は"
                };
                say!(
                    out,
                    "。補助上限",
                    yen(*cap),
                    fixed(verdict),
                    yen(calculation.subsidy),
                    "です。"
                );
            }
        }
    }
}

impl fmt::Display for Message<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut sink = FormatterSink {
            formatter: f,
            result: Ok(()),
        };
        self.render(&mut sink);
        sink.result
    }
}

/// Renders into a `Formatter`, keeping the first error.
struct FormatterSink<'f, 'g> {
    formatter: &'f mut fmt::Formatter<'g>,
    result: fmt::Result,
}

impl FormatterSink<'_, '_> {
    fn write(&mut self, write: impl FnOnce(&mut fmt::Formatter<'_>) -> fmt::Result) {
        if self.result.is_ok() {
            self.result = write(self.formatter);
        }
    }
}

impl MessageSink for FormatterSink<'_, '_> {
    fn fixed(&mut self, text: &'static str) {
        self.write(|f| f.write_str(text));
    }

    fn given(&mut self, text: &str) {
        self.write(|f| f.write_str(text));
    }

    fn count(&mut self, number: u64) {
        self.write(|f| write!(f, "{number}"));
    }

    fn yen(&mut self, amount: Yen) {
        self.write(|f| write!(f, "{amount}"));
    }

    fn show(&mut self, value: &dyn fmt::Display) {
        self.write(|f| write!(f, "{value}"));
    }
}

impl Serialize for Message<'_> {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

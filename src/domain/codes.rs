//! The codes of the evaluation contract (DESIGN.md, "The evaluation contract"). Each enum has
//! its contract code (`as_str`, serde, `FromStr`) and a Japanese label (`label_ja`).

/// The code was not one of the enum's codes.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown {kind} code `{code}`")]
pub struct UnknownCode {
    pub kind: &'static str,
    pub code: String,
}

/// A contract code read without an error to report: the caller says what was wrong itself,
/// so it need not build an [`UnknownCode`].
pub trait Code: Sized {
    fn from_code(code: &str) -> Option<Self>;
}

macro_rules! code_enum {
    (
        $(#[$meta:meta])*
        $name:ident, $kind:literal {
            $($(#[$variant_meta:meta])* $variant:ident => $code:literal, $label:literal;)+
        }
    ) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
        pub enum $name {
            $($(#[$variant_meta])* $variant,)+
        }

        impl $name {
            pub const ALL: &'static [$name] = &[$($name::$variant,)+];

            /// The contract code (snake_case).
            pub const fn as_str(self) -> &'static str {
                match self {
                    $($name::$variant => $code,)+
                }
            }

            pub const fn label_ja(self) -> &'static str {
                match self {
                    $($name::$variant => $label,)+
                }
            }

            /// Position in `ALL`, for bit sets and fixed-size tables.
            pub const fn index(self) -> usize {
                self as usize
            }
        }

        impl $crate::domain::codes::Code for $name {
            #[inline]
            fn from_code(code: &str) -> Option<Self> {
                match code {
                    $($code => Some($name::$variant),)+
                    _ => None,
                }
            }
        }

        impl ::std::str::FromStr for $name {
            type Err = $crate::domain::codes::UnknownCode;

            fn from_str(code: &str) -> Result<Self, Self::Err> {
                <Self as $crate::domain::codes::Code>::from_code(code).ok_or_else(|| $crate::domain::codes::UnknownCode { kind: $kind, code: code.to_owned() })
            }
        }

        impl ::std::fmt::Display for $name {
            fn fmt(&self, f: &mut ::std::fmt::Formatter<'_>) -> ::std::fmt::Result {
                f.write_str(self.as_str())
            }
        }

        impl serde::Serialize for $name {
            fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
                serializer.serialize_str(self.as_str())
            }
        }

        impl<'de> serde::Deserialize<'de> for $name {
            fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
                let code = std::borrow::Cow::<str>::deserialize(deserializer)?;
                code.parse().map_err(serde::de::Error::custom)
            }
        }
    };
}

pub(crate) use code_enum;

code_enum! {
    /// A frame (枠) of some fiscal year's programme. Which frames a year has is programme data.
    Frame, "frame" {
        Single => "single", "単一枠";
        Standard => "standard", "通常枠";
        JointStrategy => "joint_strategy", "地域企業共同戦略枠";
        General => "general", "一般枠";
        WorkStyleReform => "work_style_reform", "働き方改革推進枠";
        RightHand => "right_hand", "右腕人材枠";
        LegalLinkage => "legal_linkage", "法制度連携枠";
    }
}

code_enum! {
    ApplicantKind, "applicant kind" {
        SmeCompany => "sme_company", "中小企業者";
        MidsizeCompany => "midsize_company", "中堅企業者";
        LargeCompany => "large_company", "大企業";
        GeneralIncorporatedAssociation => "general_incorporated_association", "一般社団法人";
        GeneralIncorporatedFoundation => "general_incorporated_foundation", "一般財団法人";
        PublicInterestAssociation => "public_interest_association", "公益社団法人";
        PublicInterestFoundation => "public_interest_foundation", "公益財団法人";
        Npo => "npo", "特定非営利活動法人";
        ChamberOfCommerce => "chamber_of_commerce", "商工会議所";
        CommerceAssociation => "commerce_association", "商工会";
        RegionalBank => "regional_bank", "地方銀行";
        ShinkinBank => "shinkin_bank", "信用金庫";
        CreditCooperative => "credit_cooperative", "信用組合";
        Cooperative => "cooperative", "組合";
        Municipality => "municipality", "地方公共団体";
        Other => "other", "その他";
    }
}

impl ApplicantKind {
    /// Kinds that are companies and so take the 中小/中堅 size test.
    pub const fn is_company(self) -> bool {
        matches!(
            self,
            ApplicantKind::SmeCompany | ApplicantKind::MidsizeCompany | ApplicantKind::LargeCompany
        )
    }
}

code_enum! {
    PartnerKind, "partner kind" {
        Municipality => "municipality", "市町村";
        Prefecture => "prefecture", "都道府県";
        Chamber => "chamber", "商工会・商工会議所";
        FinancialInstitution => "financial_institution", "金融機関";
        EducationInstitution => "education_institution", "教育機関";
        IndustryAssociation => "industry_association", "業界団体";
        SupportOrganisation => "support_organisation", "支援機関";
        Company => "company", "地域企業";
        Other => "other", "その他";
    }
}

code_enum! {
    /// The three legal bases of 法制度連携枠 (① ② ③).
    LegalPath, "legal path" {
        RegionalFutureInvestment => "regional_future_investment", "①地域未来投資促進法（連携支援計画の承認）";
        SmallBusinessSupport => "small_business_support", "②小規模事業者支援法（経営発達支援計画の認定）";
        TwoRegionResidence => "two_region_residence", "③二地域居住促進法（特定居住支援法人の指定）";
    }
}

code_enum! {
    ActivityCategory, "activity category" {
        StrategyAndOrganisation => "strategy_and_organisation", "人材戦略・組織変革支援";
        Recruitment => "recruitment", "人材採用支援";
        Development => "development", "人材育成支援";
        Retention => "retention", "人材定着支援";
        Environment => "environment", "環境整備支援";
        Council => "council", "協議会";
        Other => "other", "その他";
    }
}

code_enum! {
    ExpenseCategory, "expense category" {
        Personnel => "personnel", "人件費";
        Travel => "travel", "旅費";
        Honoraria => "honoraria", "謝金";
        Meetings => "meetings", "会議費";
        Rentals => "rentals", "借料及び損料";
        Supplies => "supplies", "消耗品費";
        Printing => "printing", "印刷製本費";
        Advertising => "advertising", "広報費";
        Communication => "communication", "通信運搬費";
        Equipment => "equipment", "備品費";
        Outsourcing => "outsourcing", "委託・外注費";
        Other => "other", "その他";
    }
}

code_enum! {
    FundingSource, "funding source" {
        ThisSubsidy => "this_subsidy", "本補助金（補助対象経費）";
        OwnFunds => "own_funds", "自己資金";
        Municipal => "municipal", "自治体予算";
        NationalOther => "national_other", "その他の国の予算（委託費等）";
        MemberFees => "member_fees", "会費等";
    }
}

code_enum! {
    /// Industry for the 中小企業者 size test (中小企業基本法 第2条).
    Industry, "industry" {
        Manufacturing => "manufacturing", "製造業その他";
        Wholesale => "wholesale", "卸売業";
        Retail => "retail", "小売業";
        Services => "services", "サービス業";
        Other => "other", "その他の業種";
    }
}

code_enum! {
    ApplicantRole, "applicant role" {
        Lead => "lead", "代表申請者";
        CoApplicant => "co_applicant", "共同申請者";
    }
}

code_enum! {
    /// How consumption tax is treated in the budget: excluded from the eligible costs, or
    /// included and settled later (仕入控除税額の報告).
    TaxTreatment, "tax treatment" {
        Net => "net", "税抜（消費税等は補助対象外）";
        Gross => "gross", "税込（仕入控除税額の報告が必要）";
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_round_trip() {
        for frame in Frame::ALL {
            assert_eq!(frame.as_str().parse::<Frame>(), Ok(*frame));
        }
        for (index, kind) in ApplicantKind::ALL.iter().enumerate() {
            assert_eq!(kind.index(), index);
            assert_eq!(kind.as_str().parse::<ApplicantKind>(), Ok(*kind));
        }
        for category in ExpenseCategory::ALL {
            assert_eq!(category.as_str().parse::<ExpenseCategory>(), Ok(*category));
        }
    }

    #[test]
    fn contract_spellings() {
        assert_eq!(Frame::WorkStyleReform.as_str(), "work_style_reform");
        assert_eq!(Frame::RightHand.label_ja(), "右腕人材枠");
        assert_eq!(
            ApplicantKind::GeneralIncorporatedAssociation.as_str(),
            "general_incorporated_association"
        );
        assert_eq!(
            LegalPath::TwoRegionResidence.as_str(),
            "two_region_residence"
        );
        assert_eq!(FundingSource::NationalOther.as_str(), "national_other");
        assert_eq!(ApplicantRole::CoApplicant.as_str(), "co_applicant");
        assert!("unknown".parse::<PartnerKind>().is_err());
        assert!("retail".parse::<Industry>().is_ok());
        assert!("Retail".parse::<Industry>().is_err());
    }
}

//! The domain's code enums as `TEXT` columns: each is written as its contract code and read
//! back through its `FromStr`, so a row never holds a code the domain does not know (the
//! migrations' CHECK constraints say the same on the database side). One macro for all of
//! them, here in `db`, so that `domain` stays free of diesel.

use diesel::backend::Backend;
use diesel::deserialize::{self, FromSql};
use diesel::serialize::{self, Output, ToSql};
use diesel::sql_types::Text;

use super::jobs::JobKind;
use crate::domain::access::Role;
use crate::domain::budget::ReviewState;
use crate::domain::changes::ChangeStatus;
use crate::domain::codes::{
    ActivityCategory, ApplicantKind, ApplicantRole, ExpenseCategory, Frame, FundingSource,
    Industry, LegalPath, PartnerKind, TaxTreatment,
};
use crate::domain::deadlines::{DeadlineKind, DeadlineStatus};
use crate::domain::delivery::{AttemptOutcome, MailKind, SentOutcome};
use crate::domain::jobs::{ImportState, JobState};
use crate::domain::kpi::SurveyStatus;
use crate::domain::ledger::AwardOrigin;
use crate::domain::reconcile::NameReviewStatus;
use crate::domain::workflow::{ApplicationState, ReportKind, ReportStatus};

macro_rules! text_codes {
    ($($code:ty => $as_str:ident),+ $(,)?) => {$(
        const _: () = {
            // diesel's derives for a type defined elsewhere (`foreign_derive`).
            #[derive(diesel::AsExpression, diesel::FromSqlRow)]
            #[diesel(foreign_derive)]
            #[diesel(sql_type = Text)]
            #[allow(dead_code)]
            struct Column($code);
        };

        impl<DB: Backend> ToSql<Text, DB> for $code
        where
            str: ToSql<Text, DB>,
        {
            fn to_sql<'b>(&'b self, out: &mut Output<'b, '_, DB>) -> serialize::Result {
                self.$as_str().to_sql(out)
            }
        }

        impl<DB: Backend> FromSql<Text, DB> for $code
        where
            String: FromSql<Text, DB>,
        {
            fn from_sql(bytes: DB::RawValue<'_>) -> deserialize::Result<Self> {
                let code = String::from_sql(bytes)?;
                code.parse().map_err(|error| format!("{error}").into())
            }
        }
    )+};
}

text_codes! {
    Frame => as_str,
    ApplicantKind => as_str,
    ApplicantRole => as_str,
    PartnerKind => as_str,
    LegalPath => as_str,
    ActivityCategory => as_str,
    ExpenseCategory => as_str,
    FundingSource => as_str,
    Industry => as_str,
    ReviewState => as_str,
    ApplicationState => as_str,
    JobKind => as_str,
    ReportKind => as_str,
    ReportStatus => as_str,
    TaxTreatment => as_str,
    AttemptOutcome => as_str,
    ChangeStatus => as_str,
    JobState => as_str,
    ImportState => as_str,
    MailKind => as_str,
    SentOutcome => as_str,
    DeadlineKind => code,
    DeadlineStatus => as_str,
    Role => code,
    NameReviewStatus => as_str,
    SurveyStatus => as_str,
    AwardOrigin => as_str,
}

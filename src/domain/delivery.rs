//! Mail delivery as the logs record it: what a mail is and how its sending ended (the sent
//! log), how an attempt ended, and which jobs may have reached their recipient more than once.

crate::domain::codes::code_enum! {
    /// What a mail is, as its job's payload and the sent log name it (`sent_emails.template`):
    /// the workflow's notices (`workflow::Effect::Notify`), a change request's notice to the
    /// 事務局, the deadline reminders, the weekly digest and the password reset.
    MailKind, "mail kind" {
        ApplicationSubmitted => "application_submitted", "申請提出の通知";
        ApplicationReceived => "application_received", "申請受付の通知";
        BudgetReviewRequested => "budget_review_requested", "予算審査の依頼";
        ReturnedForCorrection => "returned_for_correction", "差戻しの通知";
        Selected => "selected", "採択の通知";
        NotSelected => "not_selected", "不採択の通知";
        GrantDecided => "grant_decided", "交付決定の通知";
        CompletionReported => "completion_reported", "実績報告提出の通知";
        AmountConfirmed => "amount_confirmed", "額の確定の通知";
        ContinuationSurvey => "continuation_survey", "継続状況調査の依頼";
        Cancelled => "cancelled", "中止・廃止の通知";
        Revoked => "revoked", "交付決定取消の通知";
        ChangeRequestPending => "change_request_pending", "計画変更の承認申請の通知";
        ChangeRequestRecorded => "change_request_recorded", "計画変更の届出の通知";
        Reminder => "reminder", "期限のリマインド";
        Digest => "digest", "週次のまとめ";
        PasswordReset => "password_reset", "パスワード再設定";
        /// The template every notice is written with; a job may name it alone.
        Notification => "notification", "お知らせ";
    }
}

impl MailKind {
    /// The title and sentence a notice of this kind says (the `notification` template's
    /// event); a mail that is not a workflow notice says only 「申請の状況が更新されました。」.
    pub fn notice_ja(self) -> (&'static str, &'static str) {
        match self {
            MailKind::ApplicationSubmitted => {
                ("申請の受付", "申請が提出されました。審査を始めてください。")
            }
            MailKind::ReturnedForCorrection => (
                "差戻し",
                "申請が差し戻されました。指摘事項を確認し、修正のうえ再提出してください。",
            ),
            MailKind::Selected => (
                "採択",
                "採択が決まりました。交付申請の手続きに進んでください。",
            ),
            MailKind::NotSelected => ("不採択", "審査の結果、今回は不採択となりました。"),
            MailKind::GrantDecided => {
                ("交付決定", "交付決定を行いました。補助事業を開始できます。")
            }
            MailKind::CompletionReported => (
                "実績報告の提出",
                "実績報告が提出されました。確定検査を行ってください。",
            ),
            MailKind::AmountConfirmed => ("額の確定", "補助金の額が確定しました。"),
            MailKind::ContinuationSurvey => {
                ("継続状況調査", "継続状況調査へのご回答をお願いします。")
            }
            MailKind::Cancelled => ("中止・廃止", "補助事業の中止・廃止が承認されました。"),
            MailKind::Revoked => ("交付決定の取消", "交付決定が取り消されました。"),
            MailKind::ChangeRequestPending => (
                "計画変更の承認申請",
                "承認が必要な計画変更が申請されました。",
            ),
            MailKind::ChangeRequestRecorded => {
                ("計画変更の届出", "計画変更（軽微な変更）が記録されました。")
            }
            MailKind::ApplicationReceived => (
                "申請の受付",
                "申請を受け付けました。事務局と市町村の審査の結果は、このメールアドレスにお知らせします。",
            ),
            MailKind::BudgetReviewRequested => (
                "予算審査の依頼",
                "貴市町村で実施される申請が提出されました。予算行ごとに承認・調整・否認を記録してください。",
            ),
            MailKind::Reminder
            | MailKind::Digest
            | MailKind::PasswordReset
            | MailKind::Notification => ("お知らせ", "申請の状況が更新されました。"),
        }
    }
}

/// What a sent log's or a job's mail is, for people: its kind's label, and for a code this
/// version does not know (a row written by another version) 「その他のメール」, never the code.
pub fn mail_kind_label(code: &str) -> &'static str {
    use crate::domain::codes::Code;
    MailKind::from_code(code).map_or("その他のメール", MailKind::label_ja)
}

crate::domain::codes::code_enum! {
    /// How the sent log records a message (`sent_emails.outcome`).
    SentOutcome, "sent outcome" {
        Sent => "sent", "送信済み";
        Retrying => "retrying", "一時的な失敗（再試行）";
        Dead => "dead", "送信不能";
    }
}

crate::domain::codes::code_enum! {
    /// How the SMTP server answered an attempt (`send_attempts.outcome`; none yet while the
    /// message is on the wire, and never when its worker stopped before the answer).
    AttemptOutcome, "send attempt outcome" {
        Accepted => "accepted", "受理";
        TemporaryFailure => "temporary_failure", "一時的な失敗";
        PermanentFailure => "permanent_failure", "恒久的な失敗";
    }
}

/// Whether a failed send ends the job (a dead letter) rather than waiting for another try:
/// the server refused for good, or this was the last attempt allowed.
pub fn gives_up(permanent: bool, attempts: i32, max_attempts: i32) -> bool {
    permanent || attempts >= max_attempts
}

/// Whether an attempt's message may have reached the server: it was accepted, or nobody heard
/// the answer (`None`: the attempt was started and not completed).
pub fn may_have_arrived(outcome: Option<AttemptOutcome>) -> bool {
    matches!(outcome, None | Some(AttemptOutcome::Accepted))
}

/// Whether a job's message may have arrived more than once: more than one of its attempts may
/// have reached the server.
pub fn may_have_arrived_twice(outcomes: impl IntoIterator<Item = Option<AttemptOutcome>>) -> bool {
    outcomes
        .into_iter()
        .filter(|outcome| may_have_arrived(*outcome))
        .count()
        > 1
}

#[cfg(test)]
mod tests {
    use super::AttemptOutcome::{Accepted, PermanentFailure, TemporaryFailure};
    use super::*;

    #[test]
    fn each_workflow_notice_says_what_happened() {
        let general = [
            MailKind::Reminder,
            MailKind::Digest,
            MailKind::PasswordReset,
            MailKind::Notification,
        ];
        let mut notices = std::collections::BTreeSet::new();
        for kind in MailKind::ALL.iter().filter(|kind| !general.contains(kind)) {
            let (title, message) = kind.notice_ja();
            assert_ne!(title, "お知らせ", "{kind}");
            assert!(message.ends_with('。'), "{kind}");
            notices.insert((title, message));
        }
        assert_eq!(
            notices.len(),
            MailKind::ALL.len() - general.len(),
            "no two alike"
        );
    }

    #[test]
    fn every_mail_kind_reads_in_japanese_and_an_unknown_one_is_not_shown_as_its_code() {
        for kind in MailKind::ALL {
            let label = mail_kind_label(kind.as_str());
            assert_eq!(label, kind.label_ja());
            assert!(!label.is_ascii(), "{kind}: {label}");
        }
        assert_eq!(mail_kind_label("application_submitted"), "申請提出の通知");
        assert_eq!(mail_kind_label("some_future_notice"), "その他のメール");
        for outcome in SentOutcome::ALL {
            assert!(!outcome.label_ja().is_ascii(), "{outcome}");
        }
    }

    #[test]
    fn a_retry_after_a_refusal_is_not_a_second_copy() {
        assert!(!may_have_arrived_twice([
            Some(TemporaryFailure),
            Some(Accepted)
        ]));
        assert!(!may_have_arrived_twice([Some(PermanentFailure)]));
        assert!(!may_have_arrived_twice([None]), "one attempt on the wire");
    }

    #[test]
    fn an_attempt_cut_off_before_its_answer_may_have_arrived() {
        assert!(may_have_arrived_twice([None, Some(Accepted)]));
        assert!(may_have_arrived_twice([Some(Accepted), Some(Accepted)]));
        assert!(may_have_arrived_twice([Some(TemporaryFailure), None, None]));
    }
}

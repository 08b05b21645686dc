//! Mail delivery as the send-attempt log records it: how an attempt ended, and which jobs may
//! have reached their recipient more than once.

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

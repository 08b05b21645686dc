//! What waits for a decision on an application: the 事務局 accepts or returns a submitted
//! interim report and approves or refuses a pending change, so each of those actions needs
//! its report or its change; a new change waits until the pending one is decided.

use super::workflow::Action;

/// What is waiting on one application.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Awaiting {
    /// A submitted interim report nobody has accepted or returned yet.
    pub interim_report: bool,
    /// A change request that needs the 事務局's approval and has none yet.
    pub change_request: bool,
}

impl Awaiting {
    /// Whether `action` has what it acts on; the Japanese refusal when it does not. Actions
    /// that decide nothing waiting are always allowed here (the workflow still judges them).
    pub fn check(self, action: Action) -> Result<(), &'static str> {
        match action {
            Action::AcceptInterimReport | Action::ReturnInterimReport if !self.interim_report => {
                Err(
                    "審査待ちの中間報告がありません。受理・差戻しできるのは提出された中間報告だけです",
                )
            }
            Action::ApproveChange | Action::DenyChange if !self.change_request => Err(
                "承認待ちの計画変更がありません。承認・不承認できるのは申請された計画変更だけです",
            ),
            Action::RequestChange if self.change_request => {
                Err("承認待ちの計画変更があります。その決定を待ってください")
            }
            _ => Ok(()),
        }
    }

    pub fn allows(self, action: Action) -> bool {
        self.check(action).is_ok()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_decision_needs_something_waiting() {
        let nothing = Awaiting::default();
        for action in [
            Action::AcceptInterimReport,
            Action::ReturnInterimReport,
            Action::ApproveChange,
            Action::DenyChange,
        ] {
            assert!(!nothing.allows(action), "{action}");
        }
        assert!(nothing.allows(Action::RequestChange));
        assert!(
            nothing.allows(Action::ConfirmAmount),
            "not a sub-flow decision"
        );
        let report = Awaiting {
            interim_report: true,
            ..Awaiting::default()
        };
        assert!(report.allows(Action::AcceptInterimReport));
        assert!(!report.allows(Action::ApproveChange));
        let change = Awaiting {
            change_request: true,
            ..Awaiting::default()
        };
        assert!(change.allows(Action::DenyChange));
        assert!(
            !change.allows(Action::RequestChange),
            "one pending change at a time"
        );
        assert!(
            change
                .check(Action::AcceptInterimReport)
                .is_err_and(|message| message.contains("中間報告"))
        );
    }
}

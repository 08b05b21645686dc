//! The background jobs as people read them: what a job does, and where an award-list import
//! (a job of its own, `award_import`) stands. The queue itself is `db::jobs`.

crate::domain::codes::code_enum! {
    /// What a job does; stored as its code (`db::codes`).
    JobKind, "job kind" {
        Email => "email", "メール";
        Reminder => "reminder", "期限のリマインド";
        AwardImport => "award_import", "採択一覧の取り込み";
    }
}

crate::domain::codes::code_enum! {
    /// Where an award-list import stands (`award_imports.status`): planned (read and checked,
    /// waiting for the 事務局's go), queued for its job, running, done or failed.
    ImportState, "import state" {
        Planned => "planned", "確認待ち（まだ取り込んでいません）";
        Queued => "queued", "実行待ち";
        Running => "running", "取込中";
        Done => "done", "完了";
        Failed => "failed", "失敗";
    }
}

/// An import's state for people; 「不明」 for a code this version does not know, never the code.
pub fn import_state_label(code: &str) -> &'static str {
    use crate::domain::codes::Code;
    ImportState::from_code(code).map_or("不明", ImportState::label_ja)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn job_kinds_and_import_states_read_in_japanese() {
        for kind in JobKind::ALL {
            assert!(!kind.label_ja().is_ascii(), "{kind}");
        }
        for state in ImportState::ALL {
            assert_eq!(import_state_label(state.as_str()), state.label_ja());
            assert!(!state.label_ja().is_ascii(), "{state}");
        }
        assert_eq!(import_state_label("paused"), "不明");
    }
}

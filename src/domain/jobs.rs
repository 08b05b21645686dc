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
    /// Where a job of the queue stands (`jobs.status`): waiting for its time, held by a worker,
    /// done, given up (a dead letter a 事務局 may queue again), or cancelled as no longer needed.
    JobState, "job state" {
        Queued => "queued", "待機中";
        Running => "running", "実行中";
        Done => "done", "完了";
        Dead => "dead", "送信不能";
        Cancelled => "cancelled", "取消";
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn job_kinds_and_import_states_read_in_japanese() {
        for kind in JobKind::ALL {
            assert!(!kind.label_ja().is_ascii(), "{kind}");
        }
        for state in JobState::ALL {
            assert!(!state.label_ja().is_ascii(), "{state}");
        }
        for state in ImportState::ALL {
            assert!(!state.label_ja().is_ascii(), "{state}");
        }
    }
}

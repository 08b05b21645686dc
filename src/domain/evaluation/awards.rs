//! The award count: prior awards from the ledger and the request's history, the application's
//! own year, and names close to an awarded organisation.

use super::*;

pub(super) struct PriorCount<'a> {
    pub(super) prior: u32,
    pub(super) awards: Vec<PriorAward<'a>>,
    /// The applicant whose count decided the ordinal, when any award was found.
    pub(super) counted_for: Option<&'a str>,
}

/// The finding the engine gives an application beyond the cap on awards (採択回数の上限).
pub const AWARD_CAP_EXCEEDED: &str = "award_cap_exceeded";
/// The finding that the applicant's name is close to an awarded organisation's (a probable
/// misprint in the award list, or another organisation): the 事務局 looks.
pub const SIMILAR_AWARDED_ORGANISATION: &str = "similar_awarded_organisation";
/// The finding that the applicant's name names several organisations of the ledger.
pub const AMBIGUOUS_ORGANISATION: &str = "ambiguous_organisation";

/// Why an organisation cannot apply at all this year: every frame's decision refuses it for
/// the cap on awards. Given each frame's findings as (code, message), the first frame's
/// message; `None` when any frame is open to it, or there is no frame.
pub fn closed_by_award_cap<'a, F>(frames: impl IntoIterator<Item = F>) -> Option<&'a str>
where
    F: IntoIterator<Item = (&'a str, &'a str)>,
{
    let mut first = None;
    for findings in frames {
        let refusal = findings
            .into_iter()
            .find(|(code, _)| *code == AWARD_CAP_EXCEEDED)?;
        first.get_or_insert(refusal.1);
    }
    first
}

/// At most this many similar organisations are named for one applicant.
pub(super) const SIMILAR_ORGANISATIONS_NAMED: usize = 3;

/// Awarded organisations whose name is close to `applicant`'s (which matches none): those the
/// alias table marks as possibly printed for this name, then those the import's review test
/// finds alike ([`names_look_alike`]). In id order, at most [`SIMILAR_ORGANISATIONS_NAMED`].
pub fn similar_awarded_organisations(
    ledger: &Ledger,
    name: &str,
    name_key: &str,
) -> Vec<OrganisationId> {
    let wanted = normalise(name);
    let mut found: Vec<OrganisationId> = ledger.possibly_named(name_key).to_vec();
    let mut alike: Vec<OrganisationId> = ledger
        .names()
        .filter(|(_, known)| names_look_alike(&wanted, known))
        .map(|(id, _)| id)
        .collect();
    alike.sort();
    for id in alike {
        if !found.contains(&id) {
            found.push(id);
        }
    }
    found.retain(|id| !ledger.awards_of(*id).is_empty());
    found.truncate(SIMILAR_ORGANISATIONS_NAMED);
    found
}

/// A warning for each awarded organisation close to an unmatched applicant's name, with what
/// its award count would make this application: never merged, never refused, for 事務局 review.
pub(super) fn push_similar_organisations<'a>(
    application: &'a Application,
    applicant: &'a Applicant,
    ledger: &'a Ledger,
    program: &'a Program,
    frame: Frame,
    findings: &mut Vec<Finding<'a>>,
) {
    let countable = &program.countable_awards;
    for id in similar_awarded_organisations(ledger, &applicant.name, &applicant.name_key) {
        let awards = ledger.awards_of(id);
        let Some(latest) = awards
            .iter()
            .max_by_key(|recorded| recorded.award.fiscal_year)
        else {
            continue;
        };
        let prior = awards
            .iter()
            .filter(|recorded| {
                countable.counts_frame(recorded.award.fiscal_year, recorded.frame())
                    && (recorded.award.from_application
                        || !is_own_award(
                            application.fiscal_year,
                            frame,
                            recorded.award.fiscal_year,
                            recorded.frame(),
                        ))
            })
            .count();
        let ordinal = u32::try_from(prior).unwrap_or(u32::MAX).saturating_add(1);
        let over_cap = program
            .award_cap
            .as_ref()
            .map(|cap| cap.value)
            .filter(|cap| ordinal > *cap);
        let rate = program
            .frame(frame)
            .and_then(|rules| rules.rate_for(ordinal))
            .map(|step| step.rate);
        findings.push(Finding {
            code: SIMILAR_AWARDED_ORGANISATION,
            severity: Severity::Warning,
            message: Message::SimilarAwardedOrganisation {
                name: &applicant.name,
                candidate: &latest.award.listed_as,
                ordinal,
                rate,
                over_cap,
            },
            source: SOURCE_COUNT_RULE,
        });
    }
}

/// Whether a recorded award of `fiscal_year` under `frame` is this application itself (or a
/// duplicate of it): an award of the application's own fiscal year in the frame being
/// evaluated. Replaying a past year must not count the award that year's decision produced;
/// an award of the same year in another frame is a different award and still counts (R8's
/// rule counts 「令和8年度の本事業」 awards of either frame, 004:134).
pub fn is_own_award(
    application_year: FiscalYear,
    evaluated_frame: Frame,
    award_year: i32,
    award_frame: Option<Frame>,
) -> bool {
    award_year == application_year.0 && award_frame == Some(evaluated_frame)
}

/// Counts each applicant's countable past awards (ledger plus the request's history) and
/// takes the largest: the award ordinal is one more than that. An award of the application's
/// own year and frame is not a prior award ([`is_own_award`]); it is reported, not counted.
pub(super) fn count_prior_awards<'a>(
    application: &'a Application,
    ledger: &'a Ledger,
    program: &'a Program,
    frame: Frame,
    findings: &mut Vec<Finding<'a>>,
) -> PriorCount<'a> {
    let countable = &program.countable_awards;
    let own = |recorded: &RecordedAward| {
        !recorded.award.from_application
            && is_own_award(
                application.fiscal_year,
                frame,
                recorded.award.fiscal_year,
                recorded.frame(),
            )
    };
    let counts = |recorded: &RecordedAward| {
        countable.counts_frame(recorded.award.fiscal_year, recorded.frame()) && !own(recorded)
    };
    let mut result = PriorCount {
        prior: 0,
        awards: Vec::new(),
        counted_for: None,
    };
    for applicant in &application.applicants {
        let candidates = ledger.find(
            applicant
                .corporate_number
                .as_ref()
                .map(CorporateNumber::as_str),
            &applicant.name_key,
        );
        if candidates.len() > 1 {
            findings.push(Finding {
                code: AMBIGUOUS_ORGANISATION,
                severity: Severity::Warning,
                message: Message::AmbiguousOrganisation {
                    name: &applicant.name,
                    candidates: candidates.len(),
                },
                source: SOURCE_COUNT_RULE,
            });
        }
        // A name the ledger knows only as an organisation with no award (a registered
        // applicant, on the database path) is compared with the awarded names as an unknown
        // one is.
        if candidates.iter().all(|id| ledger.awards_of(*id).is_empty()) {
            push_similar_organisations(application, applicant, ledger, program, frame, findings);
        }
        // Several organisations share the name: take the largest count (the conservative one).
        let chosen: Option<OrganisationId> = match candidates {
            [only] => Some(*only),
            _ => candidates.iter().copied().max_by_key(|id| {
                ledger
                    .awards_of(*id)
                    .iter()
                    .filter(|recorded| counts(recorded))
                    .count()
            }),
        };
        let ledger_awards = chosen.map_or(&[][..], |id| ledger.awards_of(id));
        for recorded in ledger_awards.iter().filter(|recorded| own(recorded)) {
            findings.push(Finding {
                code: "same_year_award_not_counted",
                severity: Severity::Info,
                message: Message::SameYearAwardNotCounted {
                    listed_as: &recorded.award.listed_as,
                    award_id: &recorded.award.award_id,
                    fiscal_year: application.fiscal_year,
                    frame,
                },
                source: SOURCE_COUNT_RULE,
            });
        }
        let mut count: u32 = 0;
        for recorded in ledger_awards.iter().filter(|recorded| counts(recorded)) {
            let award = &recorded.award;
            count = count.saturating_add(1);
            result.awards.push(PriorAward {
                award_id: &award.award_id,
                fiscal_year: award.fiscal_year,
                frame: &award.frame,
                listed_as: &award.listed_as,
                applicant: &applicant.name,
            });
        }
        for entry in application
            .history
            .iter()
            .filter(|entry| entry.name_key == applicant.name_key)
        {
            let own_entry = is_own_award(
                application.fiscal_year,
                frame,
                entry.fiscal_year.0,
                Some(entry.frame),
            );
            let frame = entry.frame.as_str();
            let already_in_ledger = ledger_awards.iter().any(|recorded| {
                recorded.award.fiscal_year == entry.fiscal_year.0 && recorded.award.frame == frame
            });
            if already_in_ledger || own_entry || !countable.counts(entry.fiscal_year.0, frame) {
                continue;
            }
            count = count.saturating_add(1);
            result.awards.push(PriorAward {
                award_id: &entry.award_id,
                fiscal_year: entry.fiscal_year.0,
                frame,
                listed_as: &entry.name,
                applicant: &applicant.name,
            });
        }
        if count > result.prior {
            result.prior = count;
            result.counted_for = Some(&applicant.name);
        }
    }
    for entry in &application.history {
        if !application
            .applicants
            .iter()
            .any(|applicant| applicant.name_key == entry.name_key)
        {
            findings.push(Finding {
                code: "history_entry_unmatched",
                severity: Severity::Warning,
                message: Message::HistoryUnmatched { name: &entry.name },
                source: SOURCE_COUNT_RULE,
            });
        }
    }
    result
}

#[cfg(test)]
mod closed_tests {
    use super::{AWARD_CAP_EXCEEDED, closed_by_award_cap};

    #[test]
    fn an_organisation_is_closed_only_when_every_frame_refuses_it_for_the_award_cap() {
        let capped = [(AWARD_CAP_EXCEEDED, "採択回数の上限は3回です")];
        let open: [(&str, &str); 1] = [("value_note", "参考")];
        assert_eq!(
            closed_by_award_cap([capped.to_vec(), capped.to_vec()]),
            Some("採択回数の上限は3回です")
        );
        assert_eq!(closed_by_award_cap([capped.to_vec(), open.to_vec()]), None);
        assert_eq!(closed_by_award_cap(Vec::<Vec<(&str, &str)>>::new()), None);
    }
}

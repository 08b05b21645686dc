//! Findings that say which values of the decision are not certain (provisional or an
//! interpretation), worded from the programme file's notes.

use super::*;

pub(super) fn push_rate_certainty<'a>(step: &'a RateStep, findings: &mut Vec<Finding<'a>>) {
    if step.certainty != Certainty::Certain {
        findings.push(Finding {
            code: "rate_interpretation",
            severity: Severity::Info,
            message: match &step.note {
                Some(note) => Message::ValueNote(note),
                None => Message::RateInterpretation {
                    ordinal: step.ordinal,
                    rate: step.rate,
                    certainty: step.certainty,
                },
            },
            source: &step.source,
        });
    }
}

/// An info finding for each value the calculation used that is not certain (an
/// interpretation, or provisional until the 公募要領 is published), in the file's words.
pub(super) fn push_value_notes<'a>(
    application: &'a Application,
    program: &'a Program,
    rules: &'a FrameRules,
    findings: &mut Vec<Finding<'a>>,
) {
    let joint = application.applicants.len() > 1;
    let used = [
        (
            "provisional_cap",
            Some(&rules.cap_yen.certainty),
            &rules.cap_yen.note,
            &rules.cap_yen.source,
        ),
        (
            "provisional_rounding_unit",
            Some(&program.rounding_unit_yen.certainty),
            &program.rounding_unit_yen.note,
            &program.rounding_unit_yen.source,
        ),
        (
            "joint_count_interpretation",
            joint.then_some(&program.joint_application_count.certainty),
            &program.joint_application_count.note,
            &program.joint_application_count.source,
        ),
    ];
    for (code, certainty, note, source) in used {
        if let (Some(certainty), Some(note)) = (certainty, note)
            && *certainty != Certainty::Certain
        {
            findings.push(Finding {
                code,
                severity: Severity::Info,
                message: Message::ValueNote(note),
                source,
            });
        }
    }
}

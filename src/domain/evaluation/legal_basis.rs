//! The 法制度連携枠's legal basis: path, holder, dates and what happens on a departure.

use super::*;

pub(super) fn check_legal_basis<'a>(
    application: &'a Application,
    program: &'a Program,
    frame: &'a FrameRules,
    findings: &mut Vec<Finding<'a>>,
) {
    let Some(requirement) = &frame.legal_basis else {
        return;
    };
    let Some(basis) = &application.legal_basis else {
        findings.push(Finding {
            code: "legal_basis_missing",
            severity: Severity::Error,
            message: Message::Static(
                "法制度連携枠は、地域未来投資促進法の連携支援計画の承認、小規模事業者支援法の経営発達支援計画の認定、又は二地域居住促進法の特定居住支援法人の指定を受けた事業者に限られます。「法制度上の根拠（法制度連携枠）」に、受けている承認等の内容を入力してください。",
            ),
            source: &requirement.source,
        });
        return;
    };
    let path_rules = program.legal_path(basis.path);
    let Some(path_rules) = path_rules.filter(|_| requirement.paths.contains(&basis.path)) else {
        findings.push(Finding {
            code: "legal_path_not_allowed",
            severity: Severity::Error,
            message: Message::LegalPathNotAllowed {
                path: basis.path,
                frame: frame.code,
            },
            source: &requirement.source,
        });
        return;
    };

    let date = application.application_date;
    if basis.granted_on > date {
        findings.push(Finding {
            code: "legal_basis_not_yet_granted",
            severity: Severity::Error,
            message: Message::LegalBasisNotYetGranted {
                granted_on: basis.granted_on,
                application_date: date,
            },
            source: SOURCE_LEGAL_REQUIREMENT,
        });
    }
    match basis.valid_until {
        Some(valid_until) if valid_until < date => findings.push(Finding {
            code: "legal_basis_expired",
            severity: Severity::Error,
            message: Message::LegalBasisExpired {
                valid_until,
                application_date: date,
            },
            source: SOURCE_LEGAL_REQUIREMENT,
        }),
        Some(valid_until) if valid_until < application.project_period.end => {
            let policy = &program.legal_basis_expiring_during_project;
            findings.push(Finding {
                code: "legal_basis_expires_during_project",
                severity: departure_severity(policy.value),
                message: Message::LegalBasisExpiresDuringProject {
                    valid_until,
                    project_end: application.project_period.end,
                    refused: policy.value == OnDeparture::Refuse,
                },
                source: &policy.source,
            })
        }
        _ => {}
    }

    match application
        .applicants
        .iter()
        .find(|applicant| applicant.name_key == basis.holder_key)
    {
        None => findings.push(Finding {
            code: "legal_basis_holder_not_applicant",
            severity: Severity::Error,
            message: Message::HolderNotApplicant {
                holder: &basis.holder,
            },
            source: SOURCE_LEGAL_REQUIREMENT,
        }),
        Some(holder)
            if !path_rules.holder_kinds.is_empty()
                && !path_rules.holder_kinds.contains(&holder.kind) =>
        {
            let policy = &path_rules.holder_kind_outside_list;
            let refused = policy.value == OnDeparture::Refuse;
            findings.push(Finding {
                // Two codes: a refusal and a case for 事務局 review are handled differently.
                code: if refused {
                    "legal_basis_holder_kind"
                } else {
                    super::LEGAL_BASIS_HOLDER_KIND_REVIEW
                },
                severity: departure_severity(policy.value),
                message: Message::HolderKindNotAllowed {
                    holder: &holder.name,
                    kind: holder.kind,
                    path: basis.path,
                    allowed: &path_rules.holder_kinds,
                    refused,
                },
                source: if refused {
                    &path_rules.holder_kinds_source
                } else {
                    &policy.source
                },
            });
        }
        Some(_) => {}
    }

    if !path_rules.grantor_markers.is_empty()
        && !path_rules
            .grantor_markers
            .iter()
            .any(|marker| basis.granted_by.contains(marker.as_str()))
    {
        findings.push(Finding {
            code: "legal_basis_grantor",
            severity: Severity::Error,
            message: Message::GrantorNotAccepted {
                granted_by: &basis.granted_by,
                path: basis.path,
                markers: &path_rules.grantor_markers,
            },
            source: &path_rules.grantor_source,
        });
    }
    if path_rules.requires_talent_measures && !basis.includes_talent_measures {
        findings.push(Finding {
            code: "talent_measures_missing",
            severity: Severity::Error,
            message: Message::TalentMeasuresMissing { path: basis.path },
            source: &path_rules.talent_measures_source,
        });
    }
}

pub(super) fn departure_severity(policy: OnDeparture) -> Severity {
    match policy {
        OnDeparture::Refuse => Severity::Error,
        OnDeparture::Review => Severity::Warning,
    }
}

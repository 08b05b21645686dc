//! Who applies: applicant kinds and sizes, the lead, partners and activities a frame requires.

use super::*;

pub(super) fn check_applicants<'a>(
    application: &'a Application,
    program: &'a Program,
    findings: &mut Vec<Finding<'a>>,
) {
    let limits = &program.size_limits;
    for applicant in &application.applicants {
        let name = applicant.name.as_ref();
        if applicant.kind == ApplicantKind::Municipality {
            findings.push(Finding {
                code: "municipality_cannot_apply",
                severity: Severity::Error,
                message: Message::MunicipalityApplicant { name },
                source: &program.eligible_applicant_kinds.source,
            });
            continue;
        }
        if !program.is_eligible_kind(applicant.kind) {
            findings.push(Finding {
                code: "applicant_kind_not_eligible",
                severity: Severity::Error,
                message: Message::KindNotEligible {
                    name,
                    kind: applicant.kind,
                },
                source: &program.eligible_applicant_kinds.source,
            });
            continue;
        }
        if !applicant.kind.is_company() {
            continue;
        }
        let size = limits.classify(
            applicant.industry,
            applicant.capital_yen,
            applicant.employees,
        );
        let sme_limit = limits.sme_limit(applicant.industry);
        match (applicant.kind, size) {
            (_, CompanySize::Large) => findings.push(Finding {
                code: "company_too_large",
                severity: Severity::Error,
                message: Message::CompanyTooLarge {
                    name,
                    employees: applicant.employees,
                    max_employees: limits.midsize_max_employees.value,
                },
                source: &limits.midsize_max_employees.source,
            }),
            (ApplicantKind::SmeCompany, CompanySize::Midsize) => findings.push(Finding {
                code: "sme_claim_not_met",
                severity: Severity::Warning,
                message: Message::SmeClaimNotMet {
                    name,
                    industry: applicant.industry,
                    max_capital: sme_limit.map(|limit| limit.max_capital_yen),
                    max_employees: sme_limit.map(|limit| limit.max_employees),
                    midsize_max_employees: limits.midsize_max_employees.value,
                },
                source: &limits.sme_source,
            }),
            (ApplicantKind::MidsizeCompany, CompanySize::Sme) => findings.push(Finding {
                code: "midsize_claim_is_sme",
                severity: Severity::Info,
                message: Message::MidsizeClaimIsSme { name },
                source: &limits.sme_source,
            }),
            _ => {}
        }
    }
}

pub(super) fn check_partners_and_activities<'a>(
    application: &'a Application,
    program: &'a Program,
    frame: &'a FrameRules,
    findings: &mut Vec<Finding<'a>>,
) {
    let programme_wide = program
        .required_partner_kinds
        .value
        .iter()
        .map(|kind| (*kind, program.required_partner_kinds.source.as_str()));
    let frame_specific = frame.required_partner_kinds.iter().flat_map(|required| {
        required
            .value
            .iter()
            .map(|kind| (*kind, required.source.as_str()))
    });
    for (kind, source) in programme_wide.chain(frame_specific) {
        if !application
            .partners
            .iter()
            .any(|partner| partner.kind == kind)
        {
            findings.push(Finding {
                code: match kind {
                    PartnerKind::Municipality => "municipality_partner_missing",
                    PartnerKind::EducationInstitution => "education_partner_missing",
                    _ => "required_partner_missing",
                },
                severity: Severity::Error,
                message: Message::PartnerMissing {
                    kind,
                    frame: frame.code,
                },
                source,
            });
        }
    }
    if let Some(required) = &frame.requires_executive_internship
        && required.value
        && !application
            .activities
            .iter()
            .any(|activity| activity.executive_internship)
    {
        findings.push(Finding {
            code: "executive_internship_missing",
            severity: Severity::Error,
            message: Message::Static(
                "右腕人材枠では、地域企業群への幹部インターンシップ制度を導入する事業（executive_internship: true）が必要です。該当する事業を追加してください。",
            ),
            source: &required.source,
        });
    }
}

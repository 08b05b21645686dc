//! Expense categories a frame accepts.

use super::*;

pub(super) fn check_expenses<'a>(
    application: &'a Application,
    program: &'a Program,
    findings: &mut Vec<Finding<'a>>,
) {
    let budget = &application.budget;
    for category_budget in &budget.by_expense_category {
        match program.expense_category(category_budget.category) {
            None => findings.push(Finding {
                code: "expense_category_not_allowed",
                severity: Severity::Error,
                message: Message::ExpenseCategoryNotAllowed {
                    category: category_budget.category,
                },
                source: &program.name_ja.source,
            }),
            Some(rules) => {
                if let Some(share) = rules.warn_above_share_of_eligible
                    && share.is_exceeded_by(category_budget.eligible_yen, budget.eligible_yen)
                {
                    findings.push(Finding {
                        code: if rules.category == ExpenseCategory::Outsourcing {
                            "outsourcing_share_high"
                        } else {
                            "expense_share_high"
                        },
                        severity: Severity::Warning,
                        message: Message::ExpenseShareHigh {
                            category: rules.category,
                            amount: category_budget.eligible_yen,
                            eligible: budget.eligible_yen,
                            share,
                        },
                        source: &rules.source,
                    });
                }
            }
        }
    }
}

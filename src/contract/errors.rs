//! The contract's error body, `{"errors": {<field path>: [{code, message}]}}`, from the two
//! places errors come from: the JSON reader (the document's shape) and `validator` (its
//! fields).

use validator::{ValidationError, ValidationErrors, ValidationErrorsKind};

use crate::domain::codes::Code;
use crate::domain::validation::{ErrorCode, FieldError, FieldErrors};

/// The Japanese name of a request field, by its path without list indices.
pub fn label(field: &str) -> &'static str {
    match field {
        "fiscal_year" | "history.fiscal_year" => "年度",
        "frame" => "枠",
        "application_date" => "申請日",
        "applicants" => "申請者",
        "applicants.name" => "申請者の名称",
        "applicants.corporate_number" => "法人番号",
        "applicants.kind" => "申請者の種別",
        "applicants.employees" => "常時使用する従業員数",
        "applicants.capital_yen" => "資本金",
        "applicants.industry" => "業種",
        "applicants.role" => "申請者の役割",
        "partners" => "連携先",
        "partners.kind" => "連携先の種別",
        "partners.name" => "連携先の名称",
        "legal_basis" => "法制度の承認等",
        "legal_basis.path" => "法制度の区分",
        "legal_basis.holder" => "承認等を受けた者",
        "legal_basis.granted_by" => "承認等をした者",
        "legal_basis.granted_on" => "承認等の日",
        "legal_basis.valid_until" => "有効期限",
        "legal_basis.includes_talent_measures" => "計画への人材確保等の取組の記載",
        "project_period" => "補助事業期間",
        "project_period.start" => "補助事業の開始日",
        "project_period.end" => "補助事業の終了日",
        "activities" => "事業（活動）",
        "activities.name" => "事業（活動）の名称",
        "activities.category" => "事業（活動）の区分",
        "activities.executive_internship" => "幹部インターンシップの該当",
        "activities.budget_lines" => "経費の明細",
        "activities.budget_lines.category" => "経費区分",
        "activities.budget_lines.description" => "経費の内容",
        "activities.budget_lines.amount_yen" => "金額（税抜）",
        "activities.budget_lines.funding_source" => "財源",
        "history" => "過去の採択",
        "history.name" => "採択された事業者の名称",
        "history.frame" => "採択された枠",
        "all_frames" => "全枠の比較（all_frames）",
        _ => "申請内容",
    }
}

/// `activities[0].budget_lines[1].amount_yen` → `activities.budget_lines.amount_yen`.
fn without_indices(path: &str) -> String {
    let mut field = String::with_capacity(path.len());
    let mut in_index = false;
    for c in path.chars() {
        match c {
            '[' => in_index = true,
            ']' => in_index = false,
            c if !in_index => field.push(c),
            _ => {}
        }
    }
    field
}

fn join(prefix: &str, key: &str) -> String {
    if prefix.is_empty() {
        key.to_owned()
    } else {
        format!("{prefix}.{key}")
    }
}

/// One error of a field named `label`, its message template filled in.
pub fn labelled(error: &ValidationError, label: &str) -> FieldError {
    FieldError {
        code: ErrorCode::from_code(&error.code).unwrap_or(ErrorCode::InvalidType),
        message: error
            .message
            .as_deref()
            .unwrap_or("{label}が正しくありません")
            .replacen("{label}", label, 1),
    }
}

/// Every error `validator` found, at its field path, with the label put into its message.
pub fn from_validation(errors: &ValidationErrors) -> FieldErrors {
    let mut out = FieldErrors::new();
    collect(errors, "", &mut out);
    out
}

fn collect(errors: &ValidationErrors, prefix: &str, out: &mut FieldErrors) {
    for (key, kind) in errors.errors() {
        match kind {
            ValidationErrorsKind::Field(list) => {
                for error in list {
                    // A rule across fields is filed under `__all__` and names its field.
                    let path = match error.params.get("field").and_then(|field| field.as_str()) {
                        Some(field) => join(prefix, field),
                        None if key == "__all__" => prefix.to_owned(),
                        None => join(prefix, key),
                    };
                    let FieldError { code, message } =
                        labelled(error, label(&without_indices(&path)));
                    out.add(path, code, message);
                }
            }
            ValidationErrorsKind::Struct(inner) => collect(inner, &join(prefix, key), out),
            ValidationErrorsKind::List(items) => {
                for (index, inner) in items {
                    collect(inner, &format!("{}[{index}]", join(prefix, key)), out);
                }
            }
        }
    }
}

/// The document could not be read: malformed JSON, a key the contract does not have, or a
/// key given twice. One error, where reading stopped.
pub fn from_reading(error: &serde_path_to_error::Error<serde_json::Error>) -> FieldErrors {
    let inner = error.inner();
    let at = error.path().to_string();
    let at = if at == "." { String::new() } else { at };
    let message = inner.to_string();
    let quoted = message
        .split('`')
        .nth(1)
        .map(str::to_owned)
        .unwrap_or_default();
    let mut errors = FieldErrors::new();
    if inner.is_data() && message.starts_with("unknown field") {
        errors.add(
            at,
            ErrorCode::UnknownField,
            format!("「{quoted}」という項目はありません（項目名の綴りを確認してください）"),
        );
    } else if inner.is_data() && message.starts_with("duplicate field") {
        let path = join(&at, &quoted);
        errors.add(
            path,
            ErrorCode::DuplicateField,
            format!("「{quoted}」が2回以上指定されています（1回にしてください）"),
        );
    } else {
        errors.add(
            "",
            ErrorCode::InvalidJson,
            format!(
                "JSONとして読めません（{}行{}列）",
                inner.line(),
                inner.column()
            ),
        );
    }
    errors
}

/// A request that is not UTF-8 text.
pub fn not_utf8(valid_up_to: usize) -> FieldErrors {
    let mut errors = FieldErrors::new();
    errors.add(
        "",
        ErrorCode::InvalidJson,
        format!(
            "UTF-8 のテキストではありません（{}バイト目）",
            valid_up_to + 1
        ),
    );
    errors
}

/// The request as a whole could not be read.
pub fn unreadable() -> FieldErrors {
    let mut errors = FieldErrors::new();
    errors.add("", ErrorCode::InvalidJson, "申請内容を読めません");
    errors
}

/// The request's root was not an object.
pub fn not_an_object() -> FieldErrors {
    let mut errors = FieldErrors::new();
    errors.add(
        "",
        ErrorCode::InvalidType,
        "申請内容はオブジェクト（{…}）で指定してください",
    );
    errors
}

#![cfg(not(target_arch = "wasm32"))]
//! Checks the security-relevant parts of `deploy/cubby.yaml`, the CloudFormation
//! template for a real AWS deployment: the authenticated role's S3 policy and trust
//! policy, the data bucket's CORS and lifecycle rules, the app's Content-Security-
//! Policy and the `ConfigJson` output.
//!
//! The template uses CloudFormation's short tags (`!Sub`, `!Ref`, `!GetAtt`, `!If`);
//! `serde_yaml` keeps them as tagged values. Strings are compared as CloudFormation
//! sees them before substitution: `!Sub` templates with `${!x}` unescaped to `${x}`,
//! `!Ref X` as `${X}` and `!GetAtt X.Y` as `${X.Y}`.
//!
//! [`s3_access_rule`] reduces the role's S3 permissions to one small value, which is
//! compared with the access rule the emulator enforces (`cubby_emulator::policy`); the
//! bucket CORS rule, the app client's scopes and the CSP are compared with the
//! emulator's too, so the tests that run against the emulator exercise what ships.

use cubby_emulator::policy::{self, AccessRule, Target};
use cubby_emulator::{CorsRule, DEFAULT_SCOPES};
use serde_yaml::Value;
use std::collections::{BTreeMap, BTreeSet};

const TEMPLATE: &str = include_str!("../deploy/cubby.yaml");

/// The IAM policy variable for the caller's identity id.
const SUB: &str = "${cognito-identity.amazonaws.com:sub}";

/// The object-level actions the app needs, and the only ones the role may have.
const OBJECT_ACTIONS: [&str; 6] = [
    "s3:GetObject",
    "s3:GetObjectVersion",
    "s3:PutObject",
    "s3:DeleteObject",
    "s3:AbortMultipartUpload",
    "s3:ListMultipartUploadParts",
];

/// The bucket-level listing actions the role grants, under one `s3:prefix` condition:
/// files, and their versions and delete markers (undo, recently deleted, previous
/// versions).
const LIST_ACTIONS: [&str; 2] = ["s3:ListBucket", "s3:ListBucketVersions"];

/// The fields `src/config.rs` reads that a deployment on AWS sets.
const CONFIG_FIELDS: [&str; 9] = [
    "region",
    "userPoolId",
    "clientId",
    "hostedUiUrl",
    "identityPoolId",
    "bucket",
    "redirectUri",
    "signOutUri",
    "scopes",
];

// ------------------------------------------------------------------ YAML helpers

fn load(text: &str) -> Result<Value, String> {
    serde_yaml::from_str(text).map_err(|e| format!("template is not valid YAML: {e}"))
}

fn get<'a>(v: &'a Value, key: &str) -> Option<&'a Value> {
    v.as_mapping()?.get(key)
}

fn path<'a>(v: &'a Value, keys: &[&str]) -> Option<&'a Value> {
    keys.iter().try_fold(v, |v, k| get(v, k))
}

/// The intrinsic function a value calls, from either the short tag (`!Sub x`) or
/// the long form (`{"Fn::Sub": x}`, `{"Ref": x}`), and its argument.
fn intrinsic(v: &Value) -> Option<(String, &Value)> {
    match v {
        Value::Tagged(t) => {
            let name = t.tag.to_string();
            Some((name.trim_start_matches('!').to_string(), &t.value))
        }
        Value::Mapping(m) if m.len() == 1 => {
            let (k, arg) = m.iter().next()?;
            let k = k.as_str()?;
            if k == "Ref" {
                Some(("Ref".into(), arg))
            } else {
                k.strip_prefix("Fn::").map(|f| (f.to_string(), arg))
            }
        }
        _ => None,
    }
}

/// A string as CloudFormation sees it before substitution (see the module docs), or
/// `None` for anything that is not a string or a string-valued `Sub`/`Ref`/`GetAtt`.
fn text_of(v: &Value) -> Option<String> {
    // Checked first: serde_yaml's `as_str` looks through tags.
    let Some((f, arg)) = intrinsic(v) else {
        return v.as_str().map(str::to_string);
    };
    match f.as_str() {
        "Sub" => {
            let template = match arg {
                Value::Sequence(items) => items.first()?.as_str()?,
                other => other.as_str()?,
            };
            Some(template.replace("${!", "${"))
        }
        "Ref" => Some(format!("${{{}}}", arg.as_str()?)),
        "GetAtt" => match arg {
            Value::Sequence(items) => Some(format!(
                "${{{}.{}}}",
                items.first()?.as_str()?,
                items.get(1)?.as_str()?
            )),
            other => Some(format!("${{{}}}", other.as_str()?)),
        },
        _ => None,
    }
}

/// One string or a list of strings, each through [`text_of`]; unreadable items are
/// kept as `<?>` so that a check comparing them fails rather than skipping them.
fn texts_of(v: &Value) -> Vec<String> {
    match v {
        Value::Sequence(items) => items
            .iter()
            .map(|i| text_of(i).unwrap_or_else(|| "<?>".into()))
            .collect(),
        other => vec![text_of(other).unwrap_or_else(|| "<?>".into())],
    }
}

/// Every `Sub` template in the document, as written (escapes not undone).
fn raw_sub_templates(v: &Value, out: &mut Vec<String>) {
    if let Some(("Sub", arg)) = intrinsic(v).as_ref().map(|(f, a)| (f.as_str(), *a)) {
        match arg {
            Value::Sequence(items) => {
                if let Some(s) = items.first().and_then(Value::as_str) {
                    out.push(s.to_string());
                }
                for item in items.iter().skip(1) {
                    raw_sub_templates(item, out);
                }
            }
            other => {
                if let Some(s) = other.as_str() {
                    out.push(s.to_string());
                }
            }
        }
        return;
    }
    match v {
        Value::Tagged(t) => raw_sub_templates(&t.value, out),
        Value::Sequence(items) => items.iter().for_each(|i| raw_sub_templates(i, out)),
        Value::Mapping(m) => m.values().for_each(|i| raw_sub_templates(i, out)),
        _ => {}
    }
}

/// The resources of one type, as (logical id, properties).
fn resources<'a>(template: &'a Value, ty: &str) -> Vec<(String, &'a Value)> {
    let Some(Value::Mapping(all)) = get(template, "Resources") else {
        return Vec::new();
    };
    all.iter()
        .filter(|(_, r)| get(r, "Type").and_then(Value::as_str) == Some(ty))
        .filter_map(|(id, r)| Some((id.as_str()?.to_string(), get(r, "Properties")?)))
        .collect()
}

fn resource<'a>(template: &'a Value, id: &str) -> Option<&'a Value> {
    path(template, &["Resources", id, "Properties"])
}

/// The logical id a `!Ref X` / `!GetAtt X.Attr` points at.
fn referenced_id(v: &Value) -> Option<String> {
    let t = text_of(v)?;
    let inner = t.strip_prefix("${")?.strip_suffix('}')?;
    Some(inner.split('.').next()?.to_string())
}

// ------------------------------------------------------------------ IAM documents

/// One IAM policy statement, with every field normalised to lists of strings.
#[derive(Clone, Debug, Default, PartialEq)]
struct Statement {
    effect: String,
    actions: Vec<String>,
    not_actions: Vec<String>,
    resources: Vec<String>,
    not_resources: Vec<String>,
    /// (principal kind, value), e.g. ("Federated", "cognito-identity.amazonaws.com").
    principals: Vec<(String, String)>,
    /// operator -> condition key -> values.
    conditions: BTreeMap<String, BTreeMap<String, Vec<String>>>,
}

impl Statement {
    fn allows(&self) -> bool {
        self.effect == "Allow"
    }

    fn condition(&self, op: &str, key: &str) -> Option<&Vec<String>> {
        self.conditions.get(op)?.get(key)
    }
}

/// The statements of a policy document (a mapping with `Statement`).
fn statements(doc: &Value) -> Result<Vec<Statement>, String> {
    if path(doc, &["Version"]).and_then(Value::as_str) != Some("2012-10-17") {
        return Err(
            "policy document must have Version \"2012-10-17\" (policy variables need it)".into(),
        );
    }
    let raw = match get(doc, "Statement") {
        Some(Value::Sequence(items)) => items.iter().collect::<Vec<_>>(),
        Some(one @ Value::Mapping(_)) => vec![one],
        _ => return Err("policy document has no Statement".into()),
    };
    raw.into_iter().map(statement).collect()
}

fn statement(v: &Value) -> Result<Statement, String> {
    let list = |key: &str| get(v, key).map(texts_of).unwrap_or_default();
    let mut s = Statement {
        effect: get(v, "Effect")
            .and_then(Value::as_str)
            .ok_or("statement without Effect")?
            .to_string(),
        actions: list("Action"),
        not_actions: list("NotAction"),
        resources: list("Resource"),
        not_resources: list("NotResource"),
        ..Statement::default()
    };
    match get(v, "Principal") {
        None => {}
        Some(Value::Mapping(m)) => {
            for (kind, values) in m {
                let kind = kind.as_str().unwrap_or("<?>").to_string();
                for value in texts_of(values) {
                    s.principals.push((kind.clone(), value));
                }
            }
        }
        Some(other) => s
            .principals
            .push(("*".into(), text_of(other).unwrap_or_default())),
    }
    if let Some(Value::Mapping(ops)) = get(v, "Condition") {
        for (op, keys) in ops {
            let op = op.as_str().ok_or("condition operator is not a string")?;
            let Value::Mapping(keys) = keys else {
                return Err(format!("condition {op} is not a mapping"));
            };
            let entry = s.conditions.entry(op.to_string()).or_default();
            for (key, values) in keys {
                let key = key.as_str().ok_or("condition key is not a string")?;
                entry.insert(key.to_string(), texts_of(values));
            }
        }
    }
    Ok(s)
}

/// The logical id of the role the identity pool gives signed-in users.
fn authenticated_role_id(template: &Value) -> Result<String, String> {
    let attachments = resources(template, "AWS::Cognito::IdentityPoolRoleAttachment");
    let [(_, attachment)] = attachments.as_slice() else {
        return Err(format!(
            "expected one IdentityPoolRoleAttachment, found {}",
            attachments.len()
        ));
    };
    path(attachment, &["Roles", "authenticated"])
        .and_then(referenced_id)
        .ok_or_else(|| "Roles.authenticated is not a !GetAtt of a role in the template".into())
}

/// Every permission statement attached to a role: inline policies and
/// `AWS::IAM::Policy` / `AWS::IAM::ManagedPolicy` resources that name the role.
fn role_permission_statements(template: &Value, role_id: &str) -> Result<Vec<Statement>, String> {
    let role = resource(template, role_id).ok_or(format!("no resource {role_id}"))?;
    let mut docs = Vec::new();
    if let Some(Value::Sequence(policies)) = get(role, "Policies") {
        docs.extend(policies.iter().filter_map(|p| get(p, "PolicyDocument")));
    }
    for ty in ["AWS::IAM::Policy", "AWS::IAM::ManagedPolicy"] {
        for (_, props) in resources(template, ty) {
            let roles = get(props, "Roles").map(texts_of).unwrap_or_default();
            if roles.contains(&format!("${{{role_id}}}")) {
                docs.extend(get(props, "PolicyDocument"));
            }
        }
    }
    if let Some(managed) = get(role, "ManagedPolicyArns") {
        for arn in texts_of(managed) {
            let local = arn.trim_start_matches("${").trim_end_matches('}');
            match resource(template, local).and_then(|p| get(p, "PolicyDocument")) {
                Some(doc) => docs.push(doc),
                None => {
                    return Err(format!(
                        "role {role_id} has an outside managed policy {arn}"
                    ))
                }
            }
        }
    }
    let mut out = Vec::new();
    for doc in docs {
        out.extend(statements(doc)?);
    }
    Ok(out)
}

fn trust_statements(template: &Value, role_id: &str) -> Result<Vec<Statement>, String> {
    let doc = resource(template, role_id)
        .and_then(|r| get(r, "AssumeRolePolicyDocument"))
        .ok_or(format!("role {role_id} has no AssumeRolePolicyDocument"))?;
    statements(doc)
}

/// The S3 permissions of signed-in users, reduced to what the emulator must enforce.
#[derive(Debug, PartialEq)]
struct S3AccessRule {
    /// The bucket ARN the rule is on, as written (`${DataBucket.Arn}`).
    bucket: String,
    /// `s3:prefix` patterns ListBucket is limited to, sorted.
    list_prefixes: Vec<String>,
    /// The listing actions granted under those patterns, sorted.
    list_actions: Vec<String>,
    /// Object actions allowed, sorted.
    object_actions: Vec<String>,
    /// The key pattern object actions are limited to, after `<bucket>/`.
    object_key_pattern: String,
}

/// Reduces the authenticated role's S3 permissions to an [`S3AccessRule`], or says
/// why it cannot (more than one shape of access, wildcards, conditions it does not know).
fn s3_access_rule(template: &Value) -> Result<S3AccessRule, String> {
    let role = authenticated_role_id(template)?;
    let stmts = role_permission_statements(template, &role)?;
    let mut list: Option<(String, Vec<String>)> = None;
    let mut object: Option<(String, String)> = None;
    let mut object_actions = BTreeSet::new();
    let mut list_actions = BTreeSet::new();
    for s in stmts.iter().filter(|s| s.allows()) {
        if !s.not_actions.is_empty() || !s.not_resources.is_empty() {
            return Err("Allow with NotAction/NotResource".into());
        }
        for a in &s.actions {
            if a.contains(['*', '?']) {
                return Err(format!("wildcard action {a}"));
            }
        }
        for r in &s.resources {
            if r == "*" || r.starts_with("arn:aws:s3:::*") {
                return Err(format!("actions {:?} on resource {r}", s.actions));
            }
        }
        if s.actions.iter().any(|a| LIST_ACTIONS.contains(&a.as_str())) {
            if !s.actions.iter().all(|a| LIST_ACTIONS.contains(&a.as_str())) {
                return Err("s3:ListBucket shares a statement with other actions".into());
            }
            let [bucket] = s.resources.as_slice() else {
                return Err("s3:ListBucket must be on exactly one bucket".into());
            };
            let prefixes = s
                .condition("StringLike", "s3:prefix")
                .ok_or("s3:ListBucket has no s3:prefix condition")?;
            let ops: Vec<&String> = s.conditions.keys().collect();
            if ops != ["StringLike"] || s.conditions["StringLike"].len() != 1 {
                return Err(format!(
                    "s3:ListBucket must have only the StringLike s3:prefix condition, has {:?}",
                    s.conditions
                ));
            }
            let mut prefixes = prefixes.clone();
            prefixes.sort();
            // Every listing action under the same condition: one statement.
            if list.replace((bucket.clone(), prefixes)).is_some() {
                return Err("more than one s3:ListBucket statement".into());
            }
            list_actions.extend(s.actions.iter().cloned());
            continue;
        }
        let unknown: Vec<&String> = s
            .actions
            .iter()
            .filter(|a| !OBJECT_ACTIONS.contains(&a.as_str()))
            .collect();
        if !unknown.is_empty() {
            return Err(format!("unexpected actions {unknown:?}"));
        }
        if !s.conditions.is_empty() {
            return Err("object statement with conditions".into());
        }
        for r in &s.resources {
            let Some((bucket, key)) = r.split_once('/') else {
                return Err(format!("object resource {r} names no key"));
            };
            if bucket.contains('*') {
                return Err(format!("object resource {r} has a wildcard bucket"));
            }
            match &object {
                Some(prev) if prev != &(bucket.to_string(), key.to_string()) => {
                    return Err(format!("object resources differ: {prev:?} and {r}"));
                }
                _ => object = Some((bucket.to_string(), key.to_string())),
            }
        }
        object_actions.extend(s.actions.iter().cloned());
    }
    let (list_bucket, list_prefixes) = list.ok_or("no s3:ListBucket statement")?;
    let (object_bucket, object_key_pattern) = object.ok_or("no object statement")?;
    if list_bucket.trim_end_matches(".Arn}") != object_bucket.trim_end_matches(".Arn}") {
        return Err(format!(
            "ListBucket on {list_bucket} but objects on {object_bucket}"
        ));
    }
    Ok(S3AccessRule {
        bucket: object_bucket,
        list_prefixes,
        list_actions: list_actions.into_iter().collect(),
        object_actions: object_actions.into_iter().collect(),
        object_key_pattern,
    })
}

// ------------------------------------------------------------------ checks

/// Problems with the role's S3 access; empty when it is exactly "own folder only".
fn s3_policy_problems(template: &Value) -> Vec<String> {
    let rule = match s3_access_rule(template) {
        Ok(rule) => rule,
        Err(e) => return vec![e],
    };
    let mut problems = Vec::new();
    let want_prefixes = vec![format!("private/{SUB}/"), format!("private/{SUB}/*")];
    if rule.list_prefixes != want_prefixes {
        problems.push(format!(
            "ListBucket s3:prefix is {:?}, want exactly {want_prefixes:?}",
            rule.list_prefixes
        ));
    }
    let mut want_list: Vec<String> = LIST_ACTIONS.iter().map(|a| a.to_string()).collect();
    want_list.sort();
    if rule.list_actions != want_list {
        problems.push(format!(
            "listing actions are {:?}, want {want_list:?}",
            rule.list_actions
        ));
    }
    let want_key = format!("private/{SUB}/*");
    if rule.object_key_pattern != want_key {
        problems.push(format!(
            "object actions are on key pattern {:?}, want {want_key:?}",
            rule.object_key_pattern
        ));
    }
    let mut want_actions: Vec<String> = OBJECT_ACTIONS.iter().map(|a| a.to_string()).collect();
    want_actions.sort();
    if rule.object_actions != want_actions {
        problems.push(format!(
            "object actions are {:?}, want {want_actions:?}",
            rule.object_actions
        ));
    }
    problems
}

/// The default number of days a noncurrent version is kept (issue 16: 30).
const NONCURRENT_DAYS_DEFAULT: i64 = 30;

/// What is wrong with the data bucket's versioning: it must be enabled (undo,
/// recently deleted and previous versions read older versions), noncurrent versions
/// expire after a parameter's days (default [`NONCURRENT_DAYS_DEFAULT`]), expired
/// delete markers are removed, each bucket-wide, and the CORS rule exposes the two
/// version headers the app reads.
fn versioning_problems(
    template: &Value,
    id: &str,
    bucket: &Value,
    lifecycle: &[Value],
) -> Vec<String> {
    let mut out = Vec::new();
    let status = path(bucket, &["VersioningConfiguration", "Status"]).and_then(text_of);
    if status.as_deref() != Some("Enabled") {
        out.push(format!("{id} versioning is {status:?}, want Enabled"));
    }
    let enabled_bucket_wide = |r: &&Value| {
        get(r, "Status").and_then(Value::as_str) == Some("Enabled")
            && get(r, "Prefix")
                .and_then(Value::as_str)
                .unwrap_or("")
                .is_empty()
            && get(r, "Filter").is_none()
    };
    let days = lifecycle
        .iter()
        .filter(enabled_bucket_wide)
        .find_map(|r| path(r, &["NoncurrentVersionExpiration", "NoncurrentDays"]));
    match days.and_then(referenced_id) {
        Some(parameter) => {
            let default = path(template, &["Parameters", &parameter, "Default"]).and_then(Value::as_i64);
            if default != Some(NONCURRENT_DAYS_DEFAULT) {
                out.push(format!(
                    "parameter {parameter} Default is {default:?}, want {NONCURRENT_DAYS_DEFAULT} days"
                ));
            }
        }
        None => out.push(format!(
            "{id} has no enabled bucket-wide rule expiring noncurrent versions after a parameter's days"
        )),
    }
    let markers = lifecycle
        .iter()
        .filter(enabled_bucket_wide)
        .any(|r| get(r, "ExpiredObjectDeleteMarker").and_then(Value::as_bool) == Some(true));
    if !markers {
        out.push(format!(
            "{id} has no enabled bucket-wide rule removing expired delete markers"
        ));
    }
    if let Ok(rule) = template_cors_rule(template) {
        let exposed = get(rule, "ExposedHeaders")
            .map(texts_of)
            .unwrap_or_default();
        for header in ["x-amz-version-id", "x-amz-delete-marker"] {
            if !exposed.iter().any(|h| h.eq_ignore_ascii_case(header)) {
                out.push(format!("{id} CORS rule does not expose {header}"));
            }
        }
    }
    out
}

/// IAM policy variables inside `!Sub` must be escaped as `${!...}`, or CloudFormation
/// tries to resolve them itself and rejects the template.
fn unescaped_policy_variables(template: &Value) -> Vec<String> {
    let mut subs = Vec::new();
    raw_sub_templates(template, &mut subs);
    subs.into_iter()
        .filter(|s| s.contains("${cognito-identity.amazonaws.com:") || s.contains("${aws:"))
        .map(|s| format!("unescaped IAM policy variable in !Sub {s:?}"))
        .collect()
}

fn trust_problems(template: &Value) -> Vec<String> {
    let stmts = match authenticated_role_id(template).and_then(|r| trust_statements(template, &r)) {
        Ok(s) => s,
        Err(e) => return vec![e],
    };
    let pool = resources(template, "AWS::Cognito::IdentityPool");
    let [(pool_id, _)] = pool.as_slice() else {
        return vec![format!("expected one identity pool, found {}", pool.len())];
    };
    let mut problems = Vec::new();
    let allows: Vec<&Statement> = stmts.iter().filter(|s| s.allows()).collect();
    if allows.is_empty() {
        problems.push("trust policy allows nothing".into());
    }
    for s in allows {
        if s.actions != ["sts:AssumeRoleWithWebIdentity"] {
            problems.push(format!("trust policy allows {:?}", s.actions));
        }
        if s.principals != [("Federated".into(), "cognito-identity.amazonaws.com".into())] {
            problems.push(format!("trust policy principal is {:?}", s.principals));
        }
        let aud = s.condition("StringEquals", "cognito-identity.amazonaws.com:aud");
        if aud != Some(&vec![format!("${{{pool_id}}}")]) {
            problems.push(format!(
                "trust policy aud condition is {aud:?}, want StringEquals ${{{pool_id}}}"
            ));
        }
        let amr = s.condition(
            "ForAnyValue:StringLike",
            "cognito-identity.amazonaws.com:amr",
        );
        if amr != Some(&vec!["authenticated".to_string()]) {
            problems.push(format!(
                "trust policy amr condition is {amr:?}, want ForAnyValue:StringLike authenticated"
            ));
        }
    }
    for (_, p) in resources(template, "AWS::Cognito::IdentityPool") {
        if get(p, "AllowUnauthenticatedIdentities").and_then(Value::as_bool) != Some(false) {
            problems.push("identity pool must set AllowUnauthenticatedIdentities: false".into());
        }
        if get(p, "AllowClassicFlow").and_then(Value::as_bool) != Some(false) {
            problems.push("identity pool must set AllowClassicFlow: false".into());
        }
    }
    problems
}

/// The data bucket: the one the role's object statement is on.
fn data_bucket(template: &Value) -> Result<(String, &Value), String> {
    let rule = s3_access_rule(template)?;
    let id = rule
        .bucket
        .trim_start_matches("${")
        .trim_end_matches('}')
        .trim_end_matches(".Arn")
        .to_string();
    let props = resource(template, &id).ok_or(format!("no bucket resource {id}"))?;
    Ok((id, props))
}

fn bucket_problems(template: &Value) -> Vec<String> {
    let (id, bucket) = match data_bucket(template) {
        Ok(b) => b,
        Err(e) => return vec![e],
    };
    let mut problems = Vec::new();
    let rules = match path(bucket, &["CorsConfiguration", "CorsRules"]) {
        Some(Value::Sequence(rules)) if !rules.is_empty() => rules.as_slice(),
        _ => {
            problems.push(format!("{id} has no CORS rules"));
            &[]
        }
    };
    for rule in rules {
        let exposed = get(rule, "ExposedHeaders")
            .map(texts_of)
            .unwrap_or_default();
        if !exposed.iter().any(|h| h.eq_ignore_ascii_case("etag")) {
            problems.push(format!("{id} CORS rule does not expose ETag: {exposed:?}"));
        }
        let origins = get(rule, "AllowedOrigins")
            .map(texts_of)
            .unwrap_or_default();
        if origins.is_empty() || origins.iter().any(|o| o.contains('*')) {
            problems.push(format!(
                "{id} CORS origins must be the app's, not {origins:?}"
            ));
        }
    }
    let lifecycle = match path(bucket, &["LifecycleConfiguration", "Rules"]) {
        Some(Value::Sequence(rules)) => rules.as_slice(),
        _ => &[],
    };
    let aborts = lifecycle.iter().any(|r| {
        get(r, "Status").and_then(Value::as_str) == Some("Enabled")
            && path(
                r,
                &["AbortIncompleteMultipartUpload", "DaysAfterInitiation"],
            )
            .and_then(Value::as_u64)
            .is_some_and(|d| d >= 1)
            && get(r, "Prefix")
                .and_then(Value::as_str)
                .unwrap_or("")
                .is_empty()
            && get(r, "Filter").is_none()
    });
    if !aborts {
        problems.push(format!(
            "{id} has no enabled bucket-wide lifecycle rule aborting incomplete multipart uploads"
        ));
    }
    problems.extend(versioning_problems(template, &id, bucket, lifecycle));
    let blocked = [
        "BlockPublicAcls",
        "BlockPublicPolicy",
        "IgnorePublicAcls",
        "RestrictPublicBuckets",
    ]
    .iter()
    .all(|k| {
        path(bucket, &["PublicAccessBlockConfiguration", k]).and_then(Value::as_bool) == Some(true)
    });
    if !blocked {
        problems.push(format!("{id} does not block all public access"));
    }
    problems
}

/// The CSP directives of the app's response headers policy, as name -> sources.
fn csp_directives(template: &Value) -> Result<BTreeMap<String, Vec<String>>, String> {
    let policies = resources(template, "AWS::CloudFront::ResponseHeadersPolicy");
    let [(_, policy)] = policies.as_slice() else {
        return Err(format!(
            "expected one ResponseHeadersPolicy, found {}",
            policies.len()
        ));
    };
    let csp = path(
        policy,
        &[
            "ResponseHeadersPolicyConfig",
            "SecurityHeadersConfig",
            "ContentSecurityPolicy",
        ],
    )
    .ok_or("no ContentSecurityPolicy")?;
    if get(csp, "Override").and_then(Value::as_bool) != Some(true) {
        return Err("ContentSecurityPolicy must set Override: true".into());
    }
    let text = get(csp, "ContentSecurityPolicy")
        .and_then(text_of)
        .ok_or("ContentSecurityPolicy is not a string")?;
    parse_csp(&text)
}

/// A CSP header value as directive name -> sources (names lower-cased).
fn parse_csp(text: &str) -> Result<BTreeMap<String, Vec<String>>, String> {
    let mut out = BTreeMap::new();
    for directive in text.split(';') {
        let mut words = directive.split_whitespace();
        if let Some(name) = words.next() {
            let sources = words.map(str::to_string).collect();
            if out.insert(name.to_ascii_lowercase(), sources).is_some() {
                return Err(format!("CSP directive {name} appears twice"));
            }
        }
    }
    Ok(out)
}

fn csp_problems(template: &Value) -> Vec<String> {
    let d = match csp_directives(template) {
        Ok(d) => d,
        Err(e) => return vec![e],
    };
    let mut problems = Vec::new();
    let is = |name: &str, want: &[&str]| d.get(name).is_some_and(|s| s == want);
    if !is("frame-ancestors", &["'none'"]) {
        problems.push(format!(
            "CSP frame-ancestors is {:?}, want 'none'",
            d.get("frame-ancestors")
        ));
    }
    if !is("object-src", &["'none'"]) {
        problems.push("CSP object-src must be 'none'".into());
    }
    if !is("base-uri", &["'none'"]) {
        problems.push("CSP base-uri must be 'none'".into());
    }
    if !is("script-src", &["'self'", "'wasm-unsafe-eval'"]) {
        problems.push(format!(
            "CSP script-src is {:?}, want exactly 'self' 'wasm-unsafe-eval'",
            d.get("script-src")
        ));
    }
    if !is("default-src", &["'self'"]) {
        problems.push("CSP default-src must be 'self'".into());
    }
    // The app frames nothing, posts no form off its origin and shows images from
    // blobs only: anything more is an unused source.
    if !is("frame-src", &["'none'"]) {
        problems.push("CSP frame-src must be 'none'".into());
    }
    if !is("form-action", &["'self'"]) {
        problems.push(format!(
            "CSP form-action is {:?}, want exactly 'self'",
            d.get("form-action")
        ));
    }
    if !is("img-src", &["'self'", "blob:"]) {
        problems.push(format!(
            "CSP img-src is {:?}, want exactly 'self' blob:",
            d.get("img-src")
        ));
    }
    // The app has no STS code (the basic flow is not implemented): no STS origin.
    if d.get("connect-src")
        .is_some_and(|s| s.iter().any(|o| o.contains("sts.")))
    {
        problems.push("CSP connect-src allows STS, which the app does not call".into());
    }
    for (name, sources) in &d {
        for s in sources {
            let lower = s.to_ascii_lowercase();
            if lower == "'unsafe-inline'"
                || lower == "'unsafe-eval'"
                || s == "*"
                || lower == "data:" && name == "script-src"
            {
                problems.push(format!("CSP {name} allows {s}"));
            }
        }
    }
    problems
}

/// The headers the app's response headers policy sends besides the CSP and HSTS, as
/// lower-case name -> value. Each must override what the origin sends.
fn template_security_headers(template: &Value) -> Result<BTreeMap<String, String>, String> {
    let policies = resources(template, "AWS::CloudFront::ResponseHeadersPolicy");
    let [(_, policy)] = policies.as_slice() else {
        return Err(format!(
            "expected one ResponseHeadersPolicy, found {}",
            policies.len()
        ));
    };
    let config = get(policy, "ResponseHeadersPolicyConfig").ok_or("no policy config")?;
    let mut out = BTreeMap::new();
    let security = get(config, "SecurityHeadersConfig")
        .and_then(Value::as_mapping)
        .ok_or("no SecurityHeadersConfig")?;
    for (key, setting) in security {
        let key = key.as_str().unwrap_or_default();
        if get(setting, "Override").and_then(Value::as_bool) != Some(true) {
            return Err(format!("{key} must set Override: true"));
        }
        let field = |name: &str| {
            get(setting, name)
                .and_then(text_of)
                .ok_or(format!("{key} has no {name}"))
        };
        let (name, value) = match key {
            // Compared on their own: the CSP up to origins, HSTS only exists on HTTPS.
            "ContentSecurityPolicy" | "StrictTransportSecurity" => continue,
            "ContentTypeOptions" => ("x-content-type-options", "nosniff".to_string()),
            "FrameOptions" => ("x-frame-options", field("FrameOption")?),
            "ReferrerPolicy" => ("referrer-policy", field("ReferrerPolicy")?),
            other => return Err(format!("unknown security header setting {other}")),
        };
        out.insert(name.to_string(), value);
    }
    let items = path(config, &["CustomHeadersConfig", "Items"])
        .and_then(Value::as_sequence)
        .map(Vec::as_slice)
        .unwrap_or_default();
    for item in items {
        let name = get(item, "Header")
            .and_then(text_of)
            .ok_or("a custom header without a name")?
            .to_ascii_lowercase();
        if get(item, "Override").and_then(Value::as_bool) != Some(true) {
            return Err(format!("custom header {name} must set Override: true"));
        }
        let value = get(item, "Value")
            .and_then(text_of)
            .ok_or(format!("custom header {name} has no value"))?;
        if out.insert(name.clone(), value).is_some() {
            return Err(format!("header {name} is set twice"));
        }
    }
    Ok(out)
}

fn header_problems(template: &Value) -> Vec<String> {
    let headers = match template_security_headers(template) {
        Ok(h) => h,
        Err(e) => return vec![e],
    };
    let mut problems = Vec::new();
    // A cross-origin page that opened the app must not be able to navigate it later.
    if headers
        .get("cross-origin-opener-policy")
        .map(String::as_str)
        != Some("same-origin")
    {
        problems.push(format!(
            "Cross-Origin-Opener-Policy is {:?}, want same-origin",
            headers.get("cross-origin-opener-policy")
        ));
    }
    if headers.get("x-content-type-options").map(String::as_str) != Some("nosniff") {
        problems.push("X-Content-Type-Options must be nosniff".into());
    }
    problems
}

/// The `ConfigJson` output's template, parsed as JSON (placeholders sit inside strings).
fn config_json(template: &Value) -> Result<serde_json::Map<String, serde_json::Value>, String> {
    let text = path(template, &["Outputs", "ConfigJson", "Value"])
        .and_then(text_of)
        .ok_or("no ConfigJson output")?;
    match serde_json::from_str(&text) {
        Ok(serde_json::Value::Object(m)) => Ok(m),
        Ok(_) => Err("ConfigJson is not a JSON object".into()),
        Err(e) => Err(format!("ConfigJson is not JSON: {e}")),
    }
}

fn all_problems(template: &Value) -> Vec<String> {
    let mut p = s3_policy_problems(template);
    p.extend(unescaped_policy_variables(template));
    p.extend(trust_problems(template));
    p.extend(bucket_problems(template));
    p.extend(csp_problems(template));
    p.extend(header_problems(template));
    p.extend(mfa_problems(template));
    p
}

// ------------------------------------------------------------------ template vs emulator
//
// The emulator's rules, which every other test runs against, must be the ones the
// template ships: its access rule (`cubby_emulator::policy`), its default bucket CORS
// rule, its app client scopes and its app-origin CSP. Each comparison takes the
// emulator's side as a value so the negative tests can alter either side.

/// The emulator's app origin and service URLs for the CSP comparison (fixed, so that
/// the emulator's CSP can be computed without starting it).
fn emulator_urls() -> cubby_emulator::Urls {
    cubby_emulator::Urls {
        app: "http://127.0.0.1:8080".into(),
        hosted_ui: "http://127.0.0.1:9001".into(),
        identity: "http://127.0.0.1:9002".into(),
        sts: "http://127.0.0.1:9003".into(),
        s3: "http://127.0.0.1:9004".into(),
        admin: "http://127.0.0.1:9005".into(),
    }
}

/// An emulator pattern (`private/{identity}/*`) in the template's terms.
fn as_iam_pattern(pattern: &str) -> String {
    pattern.replace(policy::IDENTITY, SUB)
}

fn sorted_set<'a>(
    items: impl IntoIterator<Item = &'a str>,
    fold: fn(&str) -> String,
) -> BTreeSet<String> {
    items.into_iter().map(fold).collect()
}

/// `(only in the template, only in the emulator)`, or `None` when the sets agree.
fn set_difference(
    template: &BTreeSet<String>,
    emulator: &BTreeSet<String>,
) -> Option<(Vec<String>, Vec<String>)> {
    (template != emulator).then(|| {
        (
            template.difference(emulator).cloned().collect(),
            emulator.difference(template).cloned().collect(),
        )
    })
}

/// Where the template's role policy and the emulator's access rule disagree: object
/// actions, the object key pattern, the ListBucket `s3:prefix` patterns, and for each
/// operation the emulator knows, whether it is allowed.
fn access_rule_disagreements(template: &Value, emulator: &AccessRule) -> Vec<String> {
    let rule = match s3_access_rule(template) {
        Ok(rule) => rule,
        Err(e) => return vec![format!("the template's S3 access rule: {e}")],
    };
    let mut out = Vec::new();
    let template_actions = sorted_set(
        rule.object_actions.iter().map(String::as_str),
        str::to_string,
    );
    let emulator_actions = sorted_set(emulator.object_actions.iter().copied(), str::to_string);
    if let Some((t, e)) = set_difference(&template_actions, &emulator_actions) {
        out.push(format!(
            "object actions differ: only the template grants {t:?}, only the emulator allows {e:?}"
        ));
    }
    let emulator_key = as_iam_pattern(emulator.object_key_pattern);
    if rule.object_key_pattern != emulator_key {
        out.push(format!(
            "object key pattern differs: template {:?}, emulator {emulator_key:?}",
            rule.object_key_pattern
        ));
    }
    let template_list = sorted_set(rule.list_actions.iter().map(String::as_str), str::to_string);
    let emulator_list = sorted_set(emulator.list_actions.iter().copied(), str::to_string);
    if let Some((t, e)) = set_difference(&template_list, &emulator_list) {
        out.push(format!(
            "listing actions differ: only the template grants {t:?}, only the emulator allows {e:?}"
        ));
    }
    let template_prefixes = sorted_set(
        rule.list_prefixes.iter().map(String::as_str),
        str::to_string,
    );
    let emulator_prefixes = sorted_set(
        emulator.list_prefix_patterns.iter().copied(),
        as_iam_pattern,
    );
    if let Some((t, e)) = set_difference(&template_prefixes, &emulator_prefixes) {
        out.push(format!(
            "ListBucket s3:prefix differs: only the template allows {t:?}, only the emulator allows {e:?}"
        ));
    }
    // Both rules are about the same folder.
    let own = as_iam_pattern(policy::OWN_PREFIX);
    if !rule.object_key_pattern.starts_with(&own)
        || !rule.list_prefixes.iter().all(|p| p.starts_with(&own))
    {
        out.push(format!(
            "the template's patterns are not all under the emulator's own prefix {own:?}"
        ));
    }
    // Operation by operation, with the emulator's table of the IAM actions each needs:
    // the template must grant all of them exactly when the emulator allows the operation.
    for (operation, needs) in policy::OPERATIONS {
        let granted = needs.iter().all(|n| match n.on {
            Target::ListPrefix => template_list.contains(n.action),
            Target::Key | Target::CopySource | Target::EachKey => {
                template_actions.contains(n.action)
            }
            // s3_access_rule admits no bucket-level action but the conditioned ListBucket.
            Target::Bucket => false,
        });
        let allowed = emulator.may_perform(operation);
        if granted != allowed {
            let needs: Vec<&str> = needs.iter().map(|n| n.action).collect();
            out.push(format!(
                "{operation} (needs {needs:?}): the template {}, the emulator {}",
                if granted {
                    "grants it"
                } else {
                    "does not grant it"
                },
                if allowed { "allows it" } else { "denies it" },
            ));
        }
    }
    out
}

/// The `!If` branches of a value (both), or the value itself, each through [`text_of`].
fn branches(v: &Value) -> Vec<String> {
    match intrinsic(v) {
        Some((f, Value::Sequence(args))) if f == "If" && args.len() == 3 => {
            args[1..].iter().flat_map(branches).collect()
        }
        _ => vec![text_of(v).unwrap_or_else(|| "<?>".into())],
    }
}

/// The data bucket's one CORS rule.
fn template_cors_rule(template: &Value) -> Result<&Value, String> {
    let (id, bucket) = data_bucket(template)?;
    match path(bucket, &["CorsConfiguration", "CorsRules"]) {
        Some(Value::Sequence(rules)) if rules.len() == 1 => Ok(&rules[0]),
        _ => Err(format!("{id} must have exactly one CORS rule")),
    }
}

/// Where the data bucket's CORS rule and the emulator's default rule (for
/// `emulator_app_origin`) disagree. Origins are compared as "the app's origin".
fn cors_disagreements(
    template: &Value,
    emulator: &CorsRule,
    emulator_app_origin: &str,
) -> Vec<String> {
    let rule = match template_cors_rule(template) {
        Ok(r) => r,
        Err(e) => return vec![e],
    };
    let list = |key: &str| get(rule, key).map(texts_of).unwrap_or_default();
    let mut out = Vec::new();
    // (template key, what, emulator values, whether case matters)
    let fields = [
        ("AllowedMethods", "methods", &emulator.allowed_methods, true),
        (
            "AllowedHeaders",
            "allowed headers",
            &emulator.allowed_headers,
            false,
        ),
        (
            "ExposedHeaders",
            "exposed headers",
            &emulator.expose_headers,
            false,
        ),
    ];
    for (key, what, emulator_values, case_matters) in fields {
        let fold: fn(&str) -> String = if case_matters {
            str::to_string
        } else {
            str::to_ascii_lowercase
        };
        let t = sorted_set(list(key).iter().map(String::as_str), fold);
        let e = sorted_set(emulator_values.iter().map(String::as_str), fold);
        if let Some((t, e)) = set_difference(&t, &e) {
            out.push(format!(
                "CORS {what} differ ({key}): only the template has {t:?}, only the emulator has {e:?}"
            ));
        }
    }
    if !emulator
        .expose_headers
        .iter()
        .any(|h| h.eq_ignore_ascii_case("etag"))
    {
        out.push("the emulator's CORS rule does not expose ETag".into());
    }
    let template_age = get(rule, "MaxAge").and_then(Value::as_u64);
    if template_age != emulator.max_age_seconds {
        out.push(format!(
            "CORS max age differs: template {template_age:?}, emulator {:?}",
            emulator.max_age_seconds
        ));
    }
    // Origins: the template's is the app's address (AppUrl without its final slash),
    // the emulator's is its app origin.
    let origins = get(rule, "AllowedOrigins")
        .map(|v| match v {
            Value::Sequence(items) => items.iter().map(branches).collect::<Vec<_>>(),
            other => vec![branches(other)],
        })
        .unwrap_or_default();
    let app_url = path(template, &["Outputs", "AppUrl", "Value"]).map(branches);
    let template_ok = match (origins.as_slice(), app_url) {
        ([one], Some(app)) => one.iter().map(|o| format!("{o}/")).eq(app),
        _ => false,
    };
    if !template_ok {
        out.push(format!(
            "the template's CORS origins {origins:?} are not just the app's origin"
        ));
    }
    if emulator.allowed_origins != [emulator_app_origin] {
        out.push(format!(
            "the emulator's CORS origins {:?} are not just its app origin {emulator_app_origin}",
            emulator.allowed_origins
        ));
    }
    out
}

/// Where the app client's scopes (and the ConfigJson output's) and the emulator's disagree.
fn scope_disagreements(template: &Value, emulator: &[&str]) -> Vec<String> {
    let clients = resources(template, "AWS::Cognito::UserPoolClient");
    let [(_, client)] = clients.as_slice() else {
        return vec![format!(
            "expected one UserPoolClient, found {}",
            clients.len()
        )];
    };
    let e = sorted_set(emulator.iter().copied(), str::to_string);
    let mut out = Vec::new();
    let client_scopes = get(client, "AllowedOAuthScopes")
        .map(texts_of)
        .unwrap_or_default();
    let t = sorted_set(client_scopes.iter().map(String::as_str), str::to_string);
    if let Some((t, e)) = set_difference(&t, &e) {
        out.push(format!(
            "app client scopes differ: only the template allows {t:?}, only the emulator allows {e:?}"
        ));
    }
    let config_scopes: Vec<String> = match config_json(template) {
        Ok(c) => match c.get("scopes") {
            Some(serde_json::Value::Array(a)) => a
                .iter()
                .map(|s| s.as_str().unwrap_or("<?>").to_string())
                .collect(),
            _ => vec!["<no scopes>".into()],
        },
        Err(e) => vec![e],
    };
    let t = sorted_set(config_scopes.iter().map(String::as_str), str::to_string);
    if let Some((t, e)) = set_difference(&t, &e) {
        out.push(format!(
            "ConfigJson scopes differ from the emulator's: only the template asks for {t:?}, only the emulator for {e:?}"
        ));
    }
    out
}

/// A CSP with the origins of the AWS services replaced by their role, each directive's
/// sources as a set (their order does not matter).
fn normalised_csp(
    directives: BTreeMap<String, Vec<String>>,
    origins: &[(&str, &str)],
) -> BTreeMap<String, BTreeSet<String>> {
    directives
        .into_iter()
        .map(|(name, sources)| {
            let sources = sources
                .into_iter()
                .map(|s| match origins.iter().find(|(origin, _)| *origin == s) {
                    Some((_, role)) => role.to_string(),
                    None => s,
                })
                .collect();
            (name, sources)
        })
        .collect()
}

/// Where the CloudFront CSP and the emulator's app-origin CSP (for `urls`) disagree,
/// after replacing each service's origin by its role.
fn csp_disagreements(
    template: &Value,
    emulator_csp: &str,
    urls: &cubby_emulator::Urls,
) -> Vec<String> {
    let template_csp = match csp_directives(template) {
        Ok(d) => d,
        Err(e) => return vec![e],
    };
    let emulator_csp = match parse_csp(emulator_csp) {
        Ok(d) => d,
        Err(e) => return vec![format!("the emulator's CSP: {e}")],
    };
    let t = normalised_csp(
        template_csp,
        &[
            ("https://${HostedUiDomain}", "<hosted-ui>"),
            (
                "https://cognito-identity.${AWS::Region}.amazonaws.com",
                "<identity>",
            ),
            ("https://sts.${AWS::Region}.amazonaws.com", "<sts>"),
            (
                "https://${DataBucketName}.s3.${AWS::Region}.amazonaws.com",
                "<s3>",
            ),
        ],
    );
    let e = normalised_csp(
        emulator_csp,
        &[
            (&urls.hosted_ui, "<hosted-ui>"),
            (&urls.identity, "<identity>"),
            (&urls.sts, "<sts>"),
            (&urls.s3, "<s3>"),
        ],
    );
    let mut out = Vec::new();
    let names: BTreeSet<&String> = t.keys().chain(e.keys()).collect();
    for name in names {
        match (t.get(name), e.get(name)) {
            (Some(ts), Some(es)) => {
                if let Some((only_t, only_e)) = set_difference(ts, es) {
                    out.push(format!(
                        "CSP {name} differs: only the template has {only_t:?}, only the emulator has {only_e:?}"
                    ));
                }
            }
            (Some(_), None) => out.push(format!("CSP {name} is only in the template")),
            (None, Some(_)) => out.push(format!("CSP {name} is only in the emulator")),
            (None, None) => {}
        }
    }
    out
}

/// Where the CloudFront response headers policy and the emulator's app-origin headers
/// (`emulator`, for `urls`) disagree: the CSP up to origins, every other header exactly
/// (HSTS aside, which only HTTPS can send).
fn header_disagreements(
    template: &Value,
    emulator: &[(&str, String)],
    urls: &cubby_emulator::Urls,
) -> Vec<String> {
    let mut out = Vec::new();
    let mut emulator: BTreeMap<String, String> = emulator
        .iter()
        .map(|(name, value)| (name.to_ascii_lowercase(), value.clone()))
        .collect();
    match emulator.remove("content-security-policy") {
        Some(csp) => out.extend(csp_disagreements(template, &csp, urls)),
        None => out.push("the emulator sends no content-security-policy".into()),
    }
    let template = match template_security_headers(template) {
        Ok(h) => h,
        Err(e) => return vec![e],
    };
    let names: BTreeSet<&String> = template.keys().chain(emulator.keys()).collect();
    for name in names {
        match (template.get(name), emulator.get(name)) {
            (Some(t), Some(e)) if t != e => out.push(format!(
                "header {name} differs: the template sends {t:?}, the emulator {e:?}"
            )),
            (Some(_), None) => out.push(format!("header {name} is only in the template")),
            (None, Some(_)) => out.push(format!("header {name} is only in the emulator")),
            _ => {}
        }
    }
    out
}

/// Every disagreement between the template and the emulator as it is built.
fn emulator_disagreements(template: &Value) -> Vec<String> {
    let urls = emulator_urls();
    let mut out = access_rule_disagreements(template, &policy::ACCESS_RULE);
    out.extend(cors_disagreements(
        template,
        &CorsRule::default_for(&urls.app),
        &urls.app,
    ));
    out.extend(scope_disagreements(template, &DEFAULT_SCOPES));
    out.extend(header_disagreements(
        template,
        &cubby_emulator::app::security_headers(&urls),
        &urls,
    ));
    out
}

// ------------------------------------------------------------------ tests

fn template() -> Value {
    load(TEMPLATE).unwrap()
}

/// The template with one exact piece of text replaced (which must occur once).
fn mutated(from: &str, to: &str) -> Value {
    assert_eq!(
        TEMPLATE.matches(from).count(),
        1,
        "the mutation target {from:?} must occur exactly once in deploy/cubby.yaml"
    );
    load(&TEMPLATE.replace(from, to)).unwrap()
}

fn assert_caught(t: &Value, needle: &str) {
    let problems = all_problems(t);
    assert!(
        problems.iter().any(|p| p.contains(needle)),
        "expected a problem mentioning {needle:?}, got {problems:?}"
    );
}

#[test]
fn template_passes_all_checks() {
    let problems = all_problems(&template());
    assert!(problems.is_empty(), "deploy/cubby.yaml: {problems:#?}");
}

#[test]
fn s3_access_rule_is_own_folder_only() {
    let rule = s3_access_rule(&template()).unwrap();
    let mut actions: Vec<String> = OBJECT_ACTIONS.iter().map(|a| a.to_string()).collect();
    actions.sort();
    assert_eq!(
        rule,
        S3AccessRule {
            bucket: "${DataBucket.Arn}".into(),
            list_prefixes: vec![format!("private/{SUB}/"), format!("private/{SUB}/*")],
            list_actions: vec!["s3:ListBucket".into(), "s3:ListBucketVersions".into()],
            object_actions: actions,
            object_key_pattern: format!("private/{SUB}/*"),
        }
    );
}

#[test]
fn csp_bucket_and_hosted_ui_match_the_resources() {
    let t = template();
    let (_, bucket) = data_bucket(&t).unwrap();
    let bucket_name = get(bucket, "BucketName").and_then(text_of).unwrap();
    let (_, policy) = resources(&t, "AWS::CloudFront::ResponseHeadersPolicy")[0];
    let csp = path(
        policy,
        &[
            "ResponseHeadersPolicyConfig",
            "SecurityHeadersConfig",
            "ContentSecurityPolicy",
            "ContentSecurityPolicy",
        ],
    )
    .unwrap();
    let (_, arg) = intrinsic(csp).unwrap();
    let vars = arg.as_sequence().unwrap()[1].clone();
    assert_eq!(
        get(&vars, "DataBucketName").and_then(text_of),
        Some(bucket_name)
    );
    let (_, domain) = resources(&t, "AWS::Cognito::UserPoolDomain")[0];
    let prefix = get(domain, "Domain").and_then(text_of).unwrap();
    assert_eq!(
        get(&vars, "HostedUiDomain").and_then(text_of),
        Some(format!("{prefix}.auth.${{AWS::Region}}.amazoncognito.com"))
    );
    let d = csp_directives(&t).unwrap();
    for host in [
        "https://${DataBucketName}.s3.${AWS::Region}.amazonaws.com",
        "https://cognito-identity.${AWS::Region}.amazonaws.com",
        "https://${HostedUiDomain}",
    ] {
        assert!(
            d["connect-src"].iter().any(|s| s == host),
            "connect-src lacks {host}"
        );
    }
}

#[test]
fn config_json_output_has_exactly_the_config_fields_and_parses() {
    let t = template();
    let fields = config_json(&t).unwrap();
    let keys: BTreeSet<&str> = fields.keys().map(String::as_str).collect();
    assert_eq!(keys, CONFIG_FIELDS.into_iter().collect::<BTreeSet<_>>());
    // Fill the placeholders with values of the shape AWS returns and let the app's own
    // parser judge the result.
    let text = text_of(path(&t, &["Outputs", "ConfigJson", "Value"]).unwrap()).unwrap();
    let filled = text
        .replace("${AWS::Region}", "eu-west-1")
        .replace("${UserPoolClient}", "4abc123def456ghi789jkl0mno")
        .replace("${UserPool}", "eu-west-1_AbC123xyz")
        .replace("${HostedUiDomainPrefix}", "cubby-test")
        .replace(
            "${IdentityPool}",
            "eu-west-1:0f0e1d2c-3b4a-5968-7766-554433221100",
        )
        .replace("${DataBucket}", "cubby-data-123456789012-eu-west-1")
        .replace("${RedirectUri}", "https://d111111abcdef8.cloudfront.net/")
        .replace("${SignOutUri}", "https://d111111abcdef8.cloudfront.net/");
    assert!(!filled.contains("${"), "unfilled placeholder in {filled}");
    let config = cubby::config::Config::parse(&filled).unwrap();
    assert_eq!(
        config.hosted_ui_url,
        "https://cubby-test.auth.eu-west-1.amazoncognito.com"
    );
    assert_eq!(config.scopes, ["openid", "email", "profile"]);
}

#[test]
fn app_client_is_public_code_flow() {
    let t = template();
    let (_, client) = resources(&t, "AWS::Cognito::UserPoolClient")[0];
    assert_eq!(
        get(client, "GenerateSecret").and_then(Value::as_bool),
        Some(false)
    );
    assert_eq!(
        texts_of(get(client, "AllowedOAuthFlows").unwrap()),
        ["code"]
    );
    assert_eq!(
        texts_of(get(client, "AllowedOAuthScopes").unwrap()),
        ["openid", "email", "profile"]
    );
    assert_eq!(
        get(client, "EnableTokenRevocation").and_then(Value::as_bool),
        Some(true)
    );
    assert_eq!(
        get(client, "PreventUserExistenceErrors").and_then(Value::as_str),
        Some("ENABLED")
    );
}

/// What is wrong with the MFA choice: a `MfaMode` parameter offering exactly OFF,
/// OPTIONAL and ON (default OFF), the user pool's `MfaConfiguration` taken from it, and
/// TOTP as the only factor whenever MFA is not off.
fn mfa_problems(template: &Value) -> Vec<String> {
    let mut problems = Vec::new();
    let param = path(template, &["Parameters", "MfaMode"]);
    let allowed = param.and_then(|p| get(p, "AllowedValues")).map(texts_of);
    if allowed.as_deref() != Some(&["OFF".to_string(), "OPTIONAL".into(), "ON".into()]) {
        problems.push(format!(
            "parameter MfaMode must allow exactly OFF, OPTIONAL, ON; has {allowed:?}"
        ));
    }
    if param
        .and_then(|p| get(p, "Default"))
        .and_then(text_of)
        .as_deref()
        != Some("OFF")
    {
        problems.push("parameter MfaMode must default to OFF".into());
    }
    let Some(pool) = resource(template, "UserPool") else {
        return vec!["no UserPool".into()];
    };
    let mode = get(pool, "MfaConfiguration").and_then(text_of);
    if mode.as_deref() != Some("${MfaMode}") {
        problems.push(format!(
            "the user pool's MfaConfiguration is {mode:?}, want !Ref MfaMode"
        ));
    }
    // `!If [MfaOff, !Ref AWS::NoValue, [SOFTWARE_TOKEN_MFA]]`, MfaOff meaning OFF.
    let enabled = get(pool, "EnabledMfas");
    let ok = match enabled.and_then(intrinsic) {
        Some((f, Value::Sequence(args))) if f == "If" && args.len() == 3 => {
            let condition = args[0].as_str().unwrap_or_default();
            let means_off = path(template, &["Conditions", condition])
                .and_then(intrinsic)
                .and_then(|(f, arg)| (f == "Equals").then_some(arg))
                .map(texts_of)
                .is_some_and(|v| v == ["${MfaMode}", "OFF"]);
            means_off
                && text_of(&args[1]).as_deref() == Some("${AWS::NoValue}")
                && texts_of(&args[2]) == ["SOFTWARE_TOKEN_MFA"]
        }
        _ => false,
    };
    if !ok {
        problems.push(format!(
            "the user pool's EnabledMfas must be SOFTWARE_TOKEN_MFA only, and unset when \
             MfaMode is OFF; is {enabled:?}"
        ));
    }
    problems
}

#[test]
fn totp_mfa_is_a_choice_off_optional_or_required() {
    assert_eq!(mfa_problems(&template()), Vec::<String>::new());
    let t = mutated(
        r#"AllowedValues: ["OFF", "OPTIONAL", "ON"]"#,
        r#"AllowedValues: ["OFF", "ON"]"#,
    );
    assert!(mfa_problems(&t)[0].contains("must allow exactly"));
    let t = mutated("[SOFTWARE_TOKEN_MFA]]", "[SOFTWARE_TOKEN_MFA, SMS_MFA]]");
    assert!(mfa_problems(&t)[0].contains("SOFTWARE_TOKEN_MFA only"));
    let t = mutated(
        "MfaConfiguration: !Ref MfaMode",
        "MfaConfiguration: \"OFF\"",
    );
    assert!(mfa_problems(&t)[0].contains("want !Ref MfaMode"));
    let t = mutated(
        r#"MfaOff: !Equals [!Ref MfaMode, "OFF"]"#,
        r#"MfaOff: !Equals [!Ref MfaMode, "ON"]"#,
    );
    assert!(mfa_problems(&t)[0].contains("unset when MfaMode is OFF"));
}

/// A small hand-written template around one role policy, for the negative checks.
fn broken_policy(list_condition: &str) -> String {
    format!(
        r#"
Resources:
  Role:
    Type: AWS::IAM::Role
    Properties:
      AssumeRolePolicyDocument:
        Version: "2012-10-17"
        Statement:
          - Effect: Allow
            Principal: {{ Federated: cognito-identity.amazonaws.com }}
            Action: sts:AssumeRoleWithWebIdentity
      Policies:
        - PolicyName: p
          PolicyDocument:
            Version: "2012-10-17"
            Statement:
              - Effect: Allow
                Action: [s3:ListBucket, s3:ListBucketVersions]
                Resource: arn:aws:s3:::b
                {list_condition}
              - Effect: Allow
                Action: [s3:GetObject, s3:PutObject]
                Resource: arn:aws:s3:::b/*
  Pool:
    Type: AWS::Cognito::IdentityPool
    Properties: {{ AllowUnauthenticatedIdentities: true }}
  Attach:
    Type: AWS::Cognito::IdentityPoolRoleAttachment
    Properties:
      Roles: {{ authenticated: !GetAtt Role.Arn }}
"#
    )
}

#[test]
fn a_broken_policy_string_is_caught() {
    // The classic mistakes: an unconditioned ListBucket, objects on the whole bucket,
    // a trust policy without aud/amr, guests allowed.
    let t = load(&broken_policy("")).unwrap();
    let s3 = s3_policy_problems(&t);
    assert!(
        s3.iter().any(|p| p.contains("no s3:prefix condition")),
        "{s3:?}"
    );
    let trust = trust_problems(&t);
    assert!(
        trust.iter().any(|p| p.contains("aud condition")),
        "{trust:?}"
    );
    assert!(
        trust.iter().any(|p| p.contains("amr condition")),
        "{trust:?}"
    );
    assert!(
        trust
            .iter()
            .any(|p| p.contains("AllowUnauthenticatedIdentities")),
        "{trust:?}"
    );

    // With ListBucket right, the object resource on the whole bucket is what is left.
    let t = load(&broken_policy(
        r#"Condition: { StringLike: { "s3:prefix": ["private/${cognito-identity.amazonaws.com:sub}/", "private/${cognito-identity.amazonaws.com:sub}/*"] } }"#,
    ))
    .unwrap();
    let s3 = s3_policy_problems(&t);
    assert!(s3.iter().any(|p| p.contains("key pattern \"*\"")), "{s3:?}");
    assert!(!s3.iter().any(|p| p.contains("ListBucket")), "{s3:?}");
}

#[test]
fn a_star_resource_on_object_actions_is_caught() {
    let t = mutated(
        r#"Resource: !Sub "${DataBucket.Arn}/private/${!cognito-identity.amazonaws.com:sub}/*""#,
        r#"Resource: "*""#,
    );
    assert_caught(&t, "on resource *");
}

#[test]
fn a_wider_key_pattern_is_caught() {
    let t = mutated(
        r#"${DataBucket.Arn}/private/${!cognito-identity.amazonaws.com:sub}/*"#,
        r#"${DataBucket.Arn}/private/*"#,
    );
    assert_caught(&t, "key pattern \"private/*\"");
}

#[test]
fn an_unescaped_policy_variable_in_sub_is_caught() {
    let t = mutated(
        "private/${!cognito-identity.amazonaws.com:sub}/*",
        "private/${cognito-identity.amazonaws.com:sub}/*",
    );
    assert_caught(&t, "unescaped IAM policy variable");
}

#[test]
fn a_wider_list_prefix_is_caught() {
    let t = mutated(
        r#"- "private/${cognito-identity.amazonaws.com:sub}/*""#,
        r#"- "private/*""#,
    );
    assert_caught(&t, "ListBucket s3:prefix");
}

#[test]
fn an_extra_action_is_caught() {
    let t = mutated(
        "- s3:ListMultipartUploadParts\n",
        "- s3:ListMultipartUploadParts\n                  - s3:PutObjectAcl\n",
    );
    assert_caught(&t, "unexpected actions");
    let t = mutated("- s3:AbortMultipartUpload\n", "- s3:*\n");
    assert_caught(&t, "wildcard action s3:*");
}

#[test]
fn a_trust_policy_without_amr_or_aud_is_caught() {
    let t = mutated(
        r#""cognito-identity.amazonaws.com:amr": authenticated"#,
        r#""cognito-identity.amazonaws.com:amr": unauthenticated"#,
    );
    assert_caught(&t, "amr condition");
    let t = mutated(
        r#""cognito-identity.amazonaws.com:aud": !Ref IdentityPool"#,
        r#""cognito-identity.amazonaws.com:aud": "us-east-1:other""#,
    );
    assert_caught(&t, "aud condition");
}

#[test]
fn cors_without_etag_is_caught() {
    let t = mutated("              - ETag\n", "");
    assert_caught(&t, "does not expose ETag");
}

#[test]
fn a_missing_multipart_abort_rule_is_caught() {
    let t = mutated(
        "AbortIncompleteMultipartUpload:\n              DaysAfterInitiation: 1",
        "ExpirationInDays: 365",
    );
    assert_caught(&t, "aborting incomplete multipart uploads");
}

#[test]
fn a_weak_csp_is_caught() {
    let t = mutated("frame-ancestors 'none';", "frame-ancestors 'self';");
    assert_caught(&t, "frame-ancestors");
    let t = mutated("style-src 'self';", "style-src 'self' 'unsafe-inline';");
    assert_caught(&t, "style-src allows 'unsafe-inline'");
    let t = mutated(
        "script-src 'self' 'wasm-unsafe-eval';",
        "script-src 'self' 'wasm-unsafe-eval' 'unsafe-inline';",
    );
    assert_caught(&t, "script-src allows 'unsafe-inline'");
    assert_caught(&t, "want exactly 'self' 'wasm-unsafe-eval'");
}

// ------------------------------------------------------------------ template vs emulator tests

#[test]
fn the_template_and_the_emulator_agree() {
    let problems = emulator_disagreements(&template());
    assert!(
        problems.is_empty(),
        "deploy/cubby.yaml and cubby-emulator disagree: {problems:#?}"
    );
}

#[test]
fn object_actions_and_key_pattern_match_the_emulator() {
    let t = template();
    let rule = s3_access_rule(&t).unwrap();
    let mut emulator: Vec<String> = policy::ACCESS_RULE
        .object_actions
        .iter()
        .map(|a| a.to_string())
        .collect();
    emulator.sort();
    assert_eq!(rule.object_actions, emulator);
    assert_eq!(
        rule.object_key_pattern,
        as_iam_pattern(policy::ACCESS_RULE.object_key_pattern)
    );
    assert_eq!(rule.object_key_pattern, format!("private/{SUB}/*"));
    assert!(access_rule_disagreements(&t, &policy::ACCESS_RULE).is_empty());
}

#[test]
fn list_prefix_condition_matches_the_emulator() {
    let rule = s3_access_rule(&template()).unwrap();
    let own = as_iam_pattern(policy::OWN_PREFIX);
    assert_eq!(rule.list_prefixes, [own.clone(), format!("{own}*")]);
    let mut emulator: Vec<String> = policy::ACCESS_RULE
        .list_prefix_patterns
        .iter()
        .map(|p| as_iam_pattern(p))
        .collect();
    emulator.sort();
    assert_eq!(rule.list_prefixes, emulator);
}

#[test]
fn list_multipart_uploads_is_denied_on_both_sides() {
    // The app core can build ListMultipartUploads, but the app does not call it and
    // the role does not grant s3:ListBucketMultipartUploads; the emulator denies it too.
    let rule = s3_access_rule(&template()).unwrap();
    assert!(!rule
        .object_actions
        .iter()
        .any(|a| a == policy::LIST_BUCKET_MULTIPART_UPLOADS));
    assert!(!policy::ACCESS_RULE.may_perform("ListMultipartUploads"));
}

#[test]
fn cors_matches_the_emulator_default() {
    let t = template();
    let urls = emulator_urls();
    let emulator = CorsRule::default_for(&urls.app);
    assert!(
        emulator.expose_headers.iter().any(|h| h == "ETag"),
        "{emulator:?}"
    );
    assert_eq!(
        cors_disagreements(&t, &emulator, &urls.app),
        Vec::<String>::new()
    );
}

#[test]
fn scopes_match_the_emulator() {
    assert_eq!(
        scope_disagreements(&template(), &DEFAULT_SCOPES),
        Vec::<String>::new()
    );
}

#[test]
fn csp_matches_the_emulator_up_to_origins() {
    let urls = emulator_urls();
    let emulator = cubby_emulator::app::content_security_policy(&urls);
    assert_eq!(
        csp_disagreements(&template(), &emulator, &urls),
        Vec::<String>::new()
    );
}

#[test]
fn security_headers_match_the_emulator() {
    let urls = emulator_urls();
    let emulator = cubby_emulator::app::security_headers(&urls);
    assert_eq!(
        header_disagreements(&template(), &emulator, &urls),
        Vec::<String>::new()
    );
    // The emulator's own set: without COOP, or with another value, it disagrees.
    let without: Vec<_> = emulator
        .iter()
        .filter(|(name, _)| *name != "cross-origin-opener-policy")
        .cloned()
        .collect();
    assert_disagreement(
        header_disagreements(&template(), &without, &urls),
        "header cross-origin-opener-policy is only in the template",
    );
}

#[test]
fn unused_csp_sources_and_a_missing_coop_are_caught() {
    let t = mutated("img-src 'self' blob:;", "img-src 'self' blob: data:;");
    assert_caught(&t, "CSP img-src is");
    let t = mutated("frame-src 'none';", "frame-src 'self';");
    assert_caught(&t, "CSP frame-src must be 'none'");
    let t = mutated(
        "form-action 'self';",
        "form-action 'self' https://${HostedUiDomain};",
    );
    assert_caught(&t, "CSP form-action is");
    let t = mutated(
        "                https://${DataBucketName}.s3",
        "                https://sts.${AWS::Region}.amazonaws.com\n                https://${DataBucketName}.s3",
    );
    assert_caught(&t, "CSP connect-src allows STS");
    let t = mutated("Value: same-origin", "Value: unsafe-none");
    assert_caught(&t, "Cross-Origin-Opener-Policy is");
}

fn assert_disagreement(problems: Vec<String>, needle: &str) {
    assert!(
        problems.iter().any(|p| p.contains(needle)),
        "expected a disagreement mentioning {needle:?}, got {problems:#?}"
    );
}

#[test]
fn an_altered_template_rule_is_caught() {
    // A template that forgot s3:DeleteObject: the emulator would let tests delete.
    let t = mutated("- s3:DeleteObject\n                  ", "");
    let problems = emulator_disagreements(&t);
    assert_disagreement(
        problems.clone(),
        "only the emulator allows [\"s3:DeleteObject\"]",
    );
    assert_disagreement(
        problems.clone(),
        "DeleteObjects (needs [\"s3:DeleteObject\"])",
    );
    // (s3_policy_problems alone also notices, against its own list.)
    assert!(!s3_policy_problems(&t).is_empty());

    let t = mutated(
        r#"- "private/${cognito-identity.amazonaws.com:sub}/*""#,
        r#"- "private/${cognito-identity.amazonaws.com:sub}/photos/*""#,
    );
    assert_disagreement(emulator_disagreements(&t), "ListBucket s3:prefix differs");

    let t = mutated("MaxAge: 3000", "MaxAge: 600");
    assert_disagreement(emulator_disagreements(&t), "CORS max age differs");
    let t = mutated(
        "AllowedMethods: [GET, HEAD, PUT, POST, DELETE]",
        "AllowedMethods: [GET, HEAD, PUT, POST]",
    );
    assert_disagreement(
        emulator_disagreements(&t),
        "only the emulator has [\"DELETE\"]",
    );
    let t = mutated("              - Content-Length\n", "");
    assert_disagreement(emulator_disagreements(&t), "CORS exposed headers differ");

    let t = mutated("        - profile\n", "");
    assert_disagreement(emulator_disagreements(&t), "app client scopes differ");

    let t = mutated("img-src 'self' blob:;", "img-src 'self' blob: data:;");
    assert_disagreement(emulator_disagreements(&t), "CSP img-src differs");
    let t = mutated(
        "                https://${DataBucketName}.s3.${AWS::Region}.amazonaws.com\n",
        "",
    );
    assert_disagreement(
        emulator_disagreements(&t),
        "only the emulator has [\"<s3>\"]",
    );
    let t = mutated("frame-src 'none';\n", "");
    assert_disagreement(
        emulator_disagreements(&t),
        "CSP frame-src is only in the emulator",
    );

    let t = mutated("Value: same-origin", "Value: same-origin-allow-popups");
    assert_disagreement(
        emulator_disagreements(&t),
        "header cross-origin-opener-policy differs",
    );
    let t = mutated(
        "            - Header: Cross-Origin-Opener-Policy\n              Value: same-origin\n              Override: true\n",
        "            []\n",
    );
    assert_disagreement(
        emulator_disagreements(&t),
        "header cross-origin-opener-policy is only in the emulator",
    );
    let t = mutated("FrameOption: DENY", "FrameOption: SAMEORIGIN");
    assert_disagreement(emulator_disagreements(&t), "header x-frame-options differs");
}

#[test]
fn an_altered_emulator_rule_is_caught() {
    let t = template();
    let extra = AccessRule {
        object_actions: &[
            policy::GET_OBJECT,
            policy::GET_OBJECT_VERSION,
            policy::PUT_OBJECT,
            policy::DELETE_OBJECT,
            policy::ABORT_MULTIPART_UPLOAD,
            policy::LIST_MULTIPART_UPLOAD_PARTS,
            "s3:PutObjectAcl",
        ],
        ..policy::ACCESS_RULE
    };
    assert_disagreement(
        access_rule_disagreements(&t, &extra),
        "only the emulator allows [\"s3:PutObjectAcl\"]",
    );
    let no_abort = AccessRule {
        object_actions: &[
            policy::GET_OBJECT,
            policy::GET_OBJECT_VERSION,
            policy::PUT_OBJECT,
            policy::DELETE_OBJECT,
            policy::LIST_MULTIPART_UPLOAD_PARTS,
        ],
        ..policy::ACCESS_RULE
    };
    assert_disagreement(
        access_rule_disagreements(&t, &no_abort),
        "AbortMultipartUpload (needs [\"s3:AbortMultipartUpload\"]): the template grants it, the emulator denies it",
    );
    let wide = AccessRule {
        object_key_pattern: "private/*",
        ..policy::ACCESS_RULE
    };
    assert_disagreement(
        access_rule_disagreements(&t, &wide),
        "object key pattern differs",
    );
    let unlisted = AccessRule {
        list_prefix_patterns: &["private/{identity}/"],
        ..policy::ACCESS_RULE
    };
    assert_disagreement(
        access_rule_disagreements(&t, &unlisted),
        "ListBucket s3:prefix differs",
    );

    let urls = emulator_urls();
    let mut cors = CorsRule::default_for(&urls.app);
    cors.expose_headers.retain(|h| h != "ETag");
    let problems = cors_disagreements(&t, &cors, &urls.app);
    assert_disagreement(problems.clone(), "does not expose ETag");
    assert_disagreement(problems, "only the template has [\"etag\"]");
    let mut cors = CorsRule::default_for(&urls.app);
    cors.allowed_origins.push("*".into());
    assert_disagreement(
        cors_disagreements(&t, &cors, &urls.app),
        "are not just its app origin",
    );

    assert_disagreement(
        scope_disagreements(
            &t,
            &[
                "openid",
                "email",
                "profile",
                "aws.cognito.signin.user.admin",
            ],
        ),
        "only the emulator allows [\"aws.cognito.signin.user.admin\"]",
    );

    let csp = cubby_emulator::app::content_security_policy(&urls);
    let loose = csp.replace("style-src 'self'", "style-src 'self' 'unsafe-inline'");
    assert_disagreement(
        csp_disagreements(&t, &loose, &urls),
        "CSP style-src differs",
    );
    let extra = format!("{csp}; worker-src 'self'");
    assert_disagreement(
        csp_disagreements(&t, &extra, &urls),
        "CSP worker-src is only in the emulator",
    );
    // Another origin in connect-src is a difference, not normalised away.
    let other = csp.replace(&urls.identity, "http://127.0.0.1:1");
    assert_disagreement(
        csp_disagreements(&t, &other, &urls),
        "CSP connect-src differs",
    );
}

// ------------------------------------------------------------------ refresh tokens
//
// The app client rotates refresh tokens (as the emulator does, so the multi-tab tests
// run against what ships), keeps no direct sign-in API flow open, and a sign-in lasts
// at most `MAX_REFRESH_TOKEN_DAYS`.

/// The longest refresh-token lifetime the template may allow, in days (README, "Deploy
/// to AWS", says why).
const MAX_REFRESH_TOKEN_DAYS: i64 = 90;

/// What is wrong with the app client's refresh tokens and auth flows, compared with
/// the emulator's rotation (`emulator`).
fn refresh_token_problems(
    template: &Value,
    emulator: &cubby_emulator::RefreshTokenRotation,
) -> Vec<String> {
    let clients = resources(template, "AWS::Cognito::UserPoolClient");
    let [(_, client)] = clients.as_slice() else {
        return vec![format!(
            "expected one UserPoolClient, found {}",
            clients.len()
        )];
    };
    let mut out = Vec::new();
    let rotation = get(client, "RefreshTokenRotation");
    let feature = rotation.and_then(|r| get(r, "Feature")).and_then(text_of);
    if feature.as_deref() != Some("ENABLED") {
        out.push(format!(
            "RefreshTokenRotation Feature is {feature:?}, want ENABLED"
        ));
    }
    let grace = rotation
        .and_then(|r| get(r, "RetryGracePeriodSeconds"))
        .and_then(Value::as_u64);
    if !emulator.is_enabled() || grace != Some(emulator.retry_grace_period_seconds) {
        out.push(format!(
            "RefreshTokenRotation RetryGracePeriodSeconds is {grace:?}, the emulator's rotation {emulator:?}"
        ));
    }
    // Absent would mean Cognito's default flows, ALLOW_REFRESH_TOKEN_AUTH among them.
    match get(client, "ExplicitAuthFlows") {
        Some(Value::Sequence(flows)) if flows.is_empty() => {}
        Some(flows) => out.push(format!(
            "ExplicitAuthFlows must be empty (the Hosted UI needs none; rotation needs \
             ALLOW_REFRESH_TOKEN_AUTH off), got {:?}",
            texts_of(flows)
        )),
        None => out.push(
            "ExplicitAuthFlows is absent: Cognito then allows ALLOW_REFRESH_TOKEN_AUTH, \
             ALLOW_USER_SRP_AUTH and ALLOW_CUSTOM_AUTH"
                .into(),
        ),
    }
    let units = path(client, &["TokenValidityUnits", "RefreshToken"]).and_then(text_of);
    if units.as_deref() != Some("days") {
        out.push(format!(
            "TokenValidityUnits RefreshToken is {units:?}, want days"
        ));
    }
    let validity = get(client, "RefreshTokenValidity");
    match validity.and_then(referenced_id) {
        Some(parameter) => {
            let p = path(template, &["Parameters", &parameter]);
            let number = |key: &str| p.and_then(|p| get(p, key)).and_then(Value::as_i64);
            let (min, max, default) = (number("MinValue"), number("MaxValue"), number("Default"));
            if max.is_none_or(|max| max > MAX_REFRESH_TOKEN_DAYS) {
                out.push(format!(
                    "parameter {parameter} MaxValue is {max:?}, want at most {MAX_REFRESH_TOKEN_DAYS} days"
                ));
            }
            if min.is_none_or(|min| min < 1) {
                out.push(format!(
                    "parameter {parameter} MinValue is {min:?}, want 1 or more"
                ));
            }
            if !default.is_some_and(|d| Some(d) <= max && Some(d) >= min) {
                out.push(format!(
                    "parameter {parameter} Default {default:?} is out of range"
                ));
            }
        }
        None => match validity.and_then(Value::as_i64) {
            Some(days) if (1..=MAX_REFRESH_TOKEN_DAYS).contains(&days) => {}
            other => out.push(format!(
                "RefreshTokenValidity is {other:?}, want 1 to {MAX_REFRESH_TOKEN_DAYS} days"
            )),
        },
    }
    out
}

fn assert_refresh_problem(t: &Value, needle: &str) {
    let problems = refresh_token_problems(t, &cubby_emulator::RefreshTokenRotation::default());
    assert!(
        problems.iter().any(|p| p.contains(needle)),
        "expected a problem mentioning {needle:?}, got {problems:?}"
    );
}

#[test]
fn refresh_tokens_rotate_as_in_the_emulator_with_no_direct_auth_flow_and_a_capped_life() {
    let problems = refresh_token_problems(
        &template(),
        &cubby_emulator::RefreshTokenRotation::default(),
    );
    assert!(problems.is_empty(), "deploy/cubby.yaml: {problems:#?}");
    assert_eq!(
        cubby_emulator::SHIPPED_REFRESH_TOKEN_ROTATION_GRACE_SECONDS,
        60
    );
}

#[test]
fn rotation_off_or_a_different_grace_period_is_caught() {
    let t = mutated("Feature: ENABLED", "Feature: DISABLED");
    assert_refresh_problem(&t, "Feature is Some(\"DISABLED\")");
    let t = mutated("RetryGracePeriodSeconds: 60", "RetryGracePeriodSeconds: 10");
    assert_refresh_problem(&t, "RetryGracePeriodSeconds is Some(10)");
    let problems = refresh_token_problems(
        &template(),
        &cubby_emulator::RefreshTokenRotation::disabled(),
    );
    assert!(
        problems
            .iter()
            .any(|p| p.contains("the emulator's rotation")),
        "{problems:?}"
    );
}

#[test]
fn an_open_auth_flow_is_caught() {
    for flows in [
        "[ALLOW_REFRESH_TOKEN_AUTH]",
        "[ALLOW_USER_SRP_AUTH]",
        "[ALLOW_USER_PASSWORD_AUTH, ALLOW_USER_AUTH]",
    ] {
        let t = mutated(
            "ExplicitAuthFlows: []",
            &format!("ExplicitAuthFlows: {flows}"),
        );
        assert_refresh_problem(&t, "ExplicitAuthFlows must be empty");
    }
    let t = mutated("ExplicitAuthFlows: []", "");
    assert_refresh_problem(&t, "ExplicitAuthFlows is absent");
}

#[test]
fn a_refresh_token_lifetime_past_the_cap_is_caught() {
    let t = mutated("    MaxValue: 90\n", "    MaxValue: 3650\n");
    assert_refresh_problem(&t, "MaxValue is Some(3650)");
    let t = mutated(
        "RefreshTokenValidity: !Ref RefreshTokenValidityDays",
        "RefreshTokenValidity: 365",
    );
    assert_refresh_problem(&t, "RefreshTokenValidity is Some(365)");
    let t = mutated("        RefreshToken: days", "        RefreshToken: hours");
    assert_refresh_problem(&t, "RefreshToken is Some(\"hours\")");
}

// ------------------------------------------------------------------ versions
//
// Issue 16: the bucket keeps versions; the role may list them and read (and so copy
// back) older versions of its own files, never another identity's, and may not
// delete a version for good.

const ME: &str = "us-east-1:11111111-2222-3333-4444-555555555555";
const OTHER: &str = "us-east-1:99999999-2222-3333-4444-555555555555";

#[test]
fn version_actions_are_granted_in_the_own_folder_only_by_both() {
    let t = template();
    let rule = s3_access_rule(&t).unwrap();
    assert!(rule
        .list_actions
        .contains(&"s3:ListBucketVersions".to_string()));
    assert!(rule
        .object_actions
        .contains(&"s3:GetObjectVersion".to_string()));
    assert!(!rule
        .object_actions
        .contains(&"s3:DeleteObjectVersion".to_string()));

    let r = policy::ACCESS_RULE;
    let mine = format!("private/{ME}/a.txt");
    let list = |who: &str, prefix: &str, op: &str| {
        r.authorize(
            who,
            op,
            &policy::Resources {
                prefix: Some(prefix),
                ..Default::default()
            },
        )
    };
    let object = |who: &str, key: &str, op: &str| {
        r.authorize(
            who,
            op,
            &policy::Resources {
                key: Some(key),
                ..Default::default()
            },
        )
    };
    let copy = |who: &str, from: &str, to: &str, op: &str| {
        r.authorize(
            who,
            op,
            &policy::Resources {
                key: Some(to),
                copy_source_key: Some(from),
                prefix: None,
            },
        )
    };
    // The owner lists versions, reads and copies back a version of their own file.
    assert!(list(ME, &format!("private/{ME}/"), "ListObjectVersions"));
    assert!(list(
        ME,
        &format!("private/{ME}/photos/"),
        "ListObjectVersions"
    ));
    for op in ["GetObject?versionId", "HeadObject?versionId"] {
        assert!(object(ME, &mine, op), "{op}");
    }
    assert!(copy(ME, &mine, &mine, "CopyObject?versionId"));
    // Another identity: no listing of versions under the first one's prefix (nor
    // without a prefix, nor above it), no version of its object, no copy from it.
    assert!(!list(
        OTHER,
        &format!("private/{ME}/"),
        "ListObjectVersions"
    ));
    assert!(!list(OTHER, "private/", "ListObjectVersions"));
    assert!(!r.authorize(OTHER, "ListObjectVersions", &policy::Resources::default()));
    for op in ["GetObject?versionId", "HeadObject?versionId"] {
        assert!(!object(OTHER, &mine, op), "{op}");
    }
    let theirs = format!("private/{OTHER}/stolen.txt");
    assert!(!copy(OTHER, &mine, &theirs, "CopyObject?versionId"));
    assert!(!copy(OTHER, &mine, &theirs, "UploadPartCopy?versionId"));
    assert!(!copy(ME, &mine, &theirs, "CopyObject?versionId"));
    // Nobody deletes a version for good, not even of their own files.
    assert!(!object(ME, &mine, "DeleteObject?versionId"));
    assert!(!object(ME, &mine, "DeleteObjects?versionId"));
    assert!(!r.may_perform("DeleteObject?versionId"));
    // The template's patterns say the same of the same keys.
    let own = |p: &str| p.replace(SUB, ME);
    assert!(policy::string_like(&own(&rule.object_key_pattern), &mine));
    assert!(!policy::string_like(
        &rule.object_key_pattern.replace(SUB, OTHER),
        &mine
    ));
    assert!(rule
        .list_prefixes
        .iter()
        .any(|p| policy::string_like(&own(p), &format!("private/{ME}/"))));
    assert!(!rule
        .list_prefixes
        .iter()
        .any(|p| policy::string_like(&p.replace(SUB, OTHER), &format!("private/{ME}/"))));
}

#[test]
fn a_template_without_the_version_actions_or_with_permanent_deletion_is_caught() {
    let t = mutated("                  - s3:ListBucketVersions\n", "");
    assert_caught(&t, "listing actions are");
    assert_disagreement(
        access_rule_disagreements(&t, &policy::ACCESS_RULE),
        "ListObjectVersions (needs [\"s3:ListBucketVersions\"]): the template does not grant it, the emulator allows it",
    );
    let t = mutated("                  - s3:GetObjectVersion\n", "");
    assert_caught(&t, "object actions are");
    assert_disagreement(
        access_rule_disagreements(&t, &policy::ACCESS_RULE),
        "GetObject?versionId (needs [\"s3:GetObjectVersion\"]): the template does not grant it",
    );
    let t = mutated(
        "                  - s3:GetObjectVersion\n",
        "                  - s3:GetObjectVersion\n                  - s3:DeleteObjectVersion\n",
    );
    assert_caught(&t, "unexpected actions [\"s3:DeleteObjectVersion\"]");
}

#[test]
fn an_emulator_rule_that_differs_on_versions_is_caught() {
    let t = template();
    let no_versions = AccessRule {
        list_actions: &[policy::LIST_BUCKET],
        ..policy::ACCESS_RULE
    };
    assert_disagreement(
        access_rule_disagreements(&t, &no_versions),
        "listing actions differ: only the template grants [\"s3:ListBucketVersions\"]",
    );
    let deletes_versions = AccessRule {
        object_actions: &[
            policy::GET_OBJECT,
            policy::GET_OBJECT_VERSION,
            policy::PUT_OBJECT,
            policy::DELETE_OBJECT,
            policy::DELETE_OBJECT_VERSION,
            policy::ABORT_MULTIPART_UPLOAD,
            policy::LIST_MULTIPART_UPLOAD_PARTS,
        ],
        ..policy::ACCESS_RULE
    };
    let problems = access_rule_disagreements(&t, &deletes_versions);
    assert_disagreement(
        problems.clone(),
        "only the emulator allows [\"s3:DeleteObjectVersion\"]",
    );
    assert_disagreement(
        problems,
        "DeleteObject?versionId (needs [\"s3:DeleteObjectVersion\"]): the template does not grant it, the emulator allows it",
    );
    let urls = emulator_urls();
    let mut cors = CorsRule::default_for(&urls.app);
    cors.expose_headers.retain(|h| h != "x-amz-delete-marker");
    assert_disagreement(
        cors_disagreements(&t, &cors, &urls.app),
        "only the template has [\"x-amz-delete-marker\"]",
    );
}

#[test]
fn versioning_off_or_kept_forever_is_caught() {
    let t = mutated(
        "        Status: Enabled\n      LifecycleConfiguration:",
        "        Status: Suspended\n      LifecycleConfiguration:",
    );
    assert_caught(&t, "versioning is Some(\"Suspended\"), want Enabled");
    let t = mutated(
        "            NoncurrentVersionExpiration:\n              NoncurrentDays: !Ref NoncurrentVersionDays\n",
        "",
    );
    assert_caught(
        &t,
        "no enabled bucket-wide rule expiring noncurrent versions",
    );
    let t = mutated(
        "    Default: 30\n    MinValue: 1\n    MaxValue: 3650",
        "    Default: 365\n    MinValue: 1\n    MaxValue: 3650",
    );
    assert_caught(&t, "Default is Some(365), want 30 days");
    let t = mutated(
        "            ExpiredObjectDeleteMarker: true\n",
        "            ExpiredObjectDeleteMarker: false\n",
    );
    assert_caught(
        &t,
        "no enabled bucket-wide rule removing expired delete markers",
    );
    let t = mutated("              - x-amz-delete-marker\n", "");
    assert_caught(&t, "CORS rule does not expose x-amz-delete-marker");
}

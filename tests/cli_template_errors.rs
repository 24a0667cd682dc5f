//! Bad templates (issue 3): each case renders a one-template chart with `rhelm template` (no
//! cluster) and expects exit 1 with the exact text real Helm 4.3 printed after `Error: ` for
//! the same chart (obtained through helm-sdkpy 0.1.32, which wraps Helm v4.3.0). A
//! representative subset also runs `rhelm install` against the test cluster: the same text
//! after `Error: INSTALLATION FAILED: `, and nothing stored.

use crate::common::*;

/// The chart name every case uses; Helm's messages name templates `c/templates/t.yaml`.
const CHART_YAML: &str = "apiVersion: v2\nname: c\nversion: 0.1.0\n";

/// A chart whose only template is `template`, with `values` (YAML) as its values.yaml.
fn chart(template: &str, values: &str) -> tempfile::TempDir {
    write_chart(&[
        ("Chart.yaml", CHART_YAML),
        ("values.yaml", values),
        ("templates/t.yaml", template),
    ])
}

/// What follows `Error: ` on stderr, up to rhelm's own `hint:` lines.
fn error_text(out: &Run) -> String {
    let start = out
        .stderr
        .find("Error: ")
        .map_or(0, |i| i + "Error: ".len());
    let text = &out.stderr[start..];
    let end = text.find("\nhint:").unwrap_or(text.len());
    text[..end].trim_end_matches('\n').to_string()
}

/// Renders `template` offline and returns the error text, asserting exit 1.
#[track_caller]
fn template_error(template: &str, values: &str) -> String {
    let dir = chart(template, values);
    let out = rhelm_offline(&["template", "r", dir.path().to_str().expect("utf-8")]).fails();
    assert!(out.stdout.is_empty(), "nothing may be printed\n{out}");
    error_text(&out)
}

/// Renders `template` offline and returns the manifest.
#[track_caller]
fn rendered(template: &str) -> String {
    let dir = chart(template, "");
    rhelm_offline(&["template", "r", dir.path().to_str().expect("utf-8")])
        .ok()
        .stdout
}

#[test]
fn an_unclosed_action_names_where_it_started() {
    assert_eq!(
        template_error("a: 1\nb: {{ .Values.x \n", ""),
        "parse error at (c/templates/t.yaml:3): unclosed action started at c/templates/t.yaml:2"
    );
    // Go adds "started at" only when the action began on another line.
    assert_eq!(
        template_error("a: 1\nb: {{ .Values.x", ""),
        "parse error at (c/templates/t.yaml:2): unclosed action"
    );
}

#[test]
fn other_parse_errors_name_file_and_line() {
    for (template, expected) in [
        (
            "a: {{ nope .Values }}\n",
            "parse error at (c/templates/t.yaml:1): function \"nope\" not defined",
        ),
        (
            "{{ if .Values.x }}\na: 1\n",
            "parse error at (c/templates/t.yaml:3): unexpected EOF",
        ),
        (
            "a: {{ \"abc }}\n",
            "parse error at (c/templates/t.yaml:1): unterminated quoted string",
        ),
        (
            "a: {{ .Values.x # }}\n",
            "parse error at (c/templates/t.yaml:1): unexpected \"#\" in operand",
        ),
        (
            "a: {{ $x }}\n",
            "parse error at (c/templates/t.yaml:1): undefined variable \"$x\"",
        ),
    ] {
        assert_eq!(template_error(template, ""), expected, "{template:?}");
    }
}

#[test]
fn a_wrong_argument_count_names_the_function() {
    for (template, call, message) in [
        (
            "a: {{ upper }}\n",
            "1:6",
            "<upper>:\n    wrong number of args for upper: want 1 got 0",
        ),
        (
            "a: {{ trunc 1 }}\n",
            "1:6",
            "<trunc>:\n    wrong number of args for trunc: want 2 got 1",
        ),
        (
            "{{ define \"h\" }}x{{ end }}a: {{ include \"h\" }}\n",
            "1:32",
            "<include>:\n    wrong number of args for include: want 2 got 1",
        ),
        (
            "a: {{ tpl \"x\" }}\n",
            "1:6",
            "<tpl>:\n    wrong number of args for tpl: want 2 got 1",
        ),
        (
            "a: {{ required \"x\" }}\n",
            "1:6",
            "<required>:\n    wrong number of args for required: want 2 got 1",
        ),
    ] {
        assert_eq!(
            template_error(template, ""),
            format!("c/templates/t.yaml:{call}\n  executing \"c/templates/t.yaml\" at {message}"),
            "{template:?}"
        );
    }
}

#[test]
fn a_constant_of_the_wrong_type_is_reported_at_the_constant() {
    for (template, at, node, message) in [
        (
            "a: {{ upper 1 }}\n",
            "1:12",
            "1",
            "expected string; found 1",
        ),
        (
            "a: {{ upper true }}\n",
            "1:12",
            "true",
            "expected string; found true",
        ),
        (
            "a: {{ upper nil }}\n",
            "1:12",
            "nil",
            "cannot assign nil to string",
        ),
        (
            "a: {{ trunc \"x\" \"abc\" }}\n",
            "1:12",
            "\"x\"",
            "expected integer; found \"x\"",
        ),
        (
            "a: {{ trunc 1.5 \"abc\" }}\n",
            "1:12",
            "1.5",
            "expected integer; found 1.5",
        ),
        // The second parameter (`string`) is the one that does not fit.
        (
            "a: {{ trunc 5 5 }}\n",
            "1:14",
            "5",
            "expected string; found 5",
        ),
        (
            "a: {{ \"abc\" | trunc \"x\" }}\n",
            "1:20",
            "\"x\"",
            "expected integer; found \"x\"",
        ),
        (
            "a: {{ repeat \"x\" 2 }}\n",
            "1:13",
            "\"x\"",
            "expected integer; found \"x\"",
        ),
        (
            "a: {{ pick \"x\" \"y\" }}\n",
            "1:11",
            "\"x\"",
            "can't handle \"x\" for arg of type map[string]interface {}",
        ),
        // The engine's own functions and Go's printf check their string parameters alike.
        (
            "a: {{ tpl 5 . }}\n",
            "1:10",
            "5",
            "expected string; found 5",
        ),
        (
            "a: {{ include 5 . }}\n",
            "1:14",
            "5",
            "expected string; found 5",
        ),
        (
            "a: {{ required 5 .Values.x }}\n",
            "1:15",
            "5",
            "expected string; found 5",
        ),
        ("a: {{ fail 5 }}\n", "1:11", "5", "expected string; found 5"),
        (
            "a: {{ printf 5 }}\n",
            "1:13",
            "5",
            "expected string; found 5",
        ),
        (
            "a: {{ round 1.5 0 \"x\" }}\n",
            "1:18",
            "\"x\"",
            "expected float; found \"x\"",
        ),
        (
            "a: {{ dateModify \"1h\" \"x\" }}\n",
            "1:22",
            "\"x\"",
            "can't handle \"x\" for arg of type time.Time",
        ),
        (
            "a: {{ (now).Add \"x\" }}\n",
            "1:16",
            "\"x\"",
            "expected integer; found \"x\"",
        ),
        (
            "a: {{ now.Format 5 }}\n",
            "1:17",
            "5",
            "expected string; found 5",
        ),
        // Methods of Helm's objects too.
        (
            "a: {{ .Files.Get 5 }}\n",
            "1:17",
            "5",
            "expected string; found 5",
        ),
        (
            "a: {{ .Capabilities.APIVersions.Has 5 }}\n",
            "1:36",
            "5",
            "expected string; found 5",
        ),
    ] {
        assert_eq!(
            template_error(template, ""),
            format!(
                "c/templates/t.yaml:{at}\n  executing \"c/templates/t.yaml\" at <{node}>:\n    {message}"
            ),
            "{template:?}"
        );
    }
}

#[test]
fn a_value_of_the_wrong_type_is_reported_at_its_operand() {
    // Not `n`: go-yaml v2 reads that key as `false`.
    let values = "num: 1\nm:\n  k: 1\n";
    for (template, at, node, got) in [
        (
            "a: {{ upper .Values.num }}\n",
            "1:19",
            ".Values.num",
            "string; got float64",
        ),
        (
            "a: {{ upper .Values.missing }}\n",
            "1:19",
            ".Values.missing",
            "string; got interface {}",
        ),
        (
            "{{ $v := 3 }}a: {{ upper $v }}\n",
            "1:25",
            "$v",
            "string; got int",
        ),
        (
            "a: {{ tpl .Values.m . }}\n",
            "1:17",
            ".Values.m",
            "string; got map[string]interface {}",
        ),
        (
            "a: {{ .Files.Get .Values.num }}\n",
            "1:24",
            ".Values.num",
            "string; got float64",
        ),
        // A piped value is checked last, where Go's executor still is: the function.
        ("a: {{ 1 | upper }}\n", "1:10", "upper", "string; got int"),
    ] {
        assert_eq!(
            template_error(template, values),
            format!(
                "c/templates/t.yaml:{at}\n  executing \"c/templates/t.yaml\" at <{node}>:\n    wrong type for value; expected {got}"
            ),
            "{template:?}"
        );
    }
}

#[test]
fn a_nil_that_came_out_of_a_pipeline_is_an_invalid_value() {
    for (template, at, node, message) in [
        (
            "a: {{ upper (.Values.missing) }}\n",
            "1:20",
            ".Values.missing",
            "invalid value; expected string",
        ),
        (
            "a: {{ .Values.missing | upper }}\n",
            "1:24",
            "upper",
            "invalid value; expected string",
        ),
        (
            "{{ $x := .Values.missing }}a: {{ upper $x }}\n",
            "1:39",
            "$x",
            "invalid value; expected string",
        ),
        (
            "a: {{ include (.Values.missing) . }}\n",
            "1:22",
            ".Values.missing",
            "invalid value; expected string",
        ),
        // Read straight from a field, nil is a nil interface.
        (
            "{{ $x := .Values }}a: {{ upper $x.missing }}\n",
            // Go places a variable with fields at its first field.
            "1:33",
            "$x.missing",
            "wrong type for value; expected string; got interface {}",
        ),
    ] {
        assert_eq!(
            template_error(template, ""),
            format!(
                "c/templates/t.yaml:{at}\n  executing \"c/templates/t.yaml\" at <{node}>:\n    {message}"
            ),
            "{template:?}"
        );
    }
}

#[test]
fn required_prints_only_its_message_at_the_outermost_call() {
    for (template, expected) in [
        (
            "a: {{ required \"x is required\" .Values.x }}\n",
            "execution error at (c/templates/t.yaml:1:6): x is required",
        ),
        (
            "a: {{ .Values.x | required \"need x\" }}\n",
            "execution error at (c/templates/t.yaml:1:18): need x",
        ),
        (
            "{{ define \"h\" }}{{ required \"inner needs x\" .Values.x }}{{ end }}a: {{ include \"h\" . }}\n",
            "execution error at (c/templates/t.yaml:1:71): inner needs x",
        ),
        (
            "a: {{ tpl \"{{ required \\\"tpl needs y\\\" .Values.y }}\" . }}\n",
            "execution error at (c/templates/t.yaml:1:6): tpl needs y",
        ),
        (
            "a: {{ required \"\" .Values.x }}\n",
            "execution error at (c/templates/t.yaml:1:6): ",
        ),
    ] {
        assert_eq!(template_error(template, ""), expected, "{template:?}");
    }
}

#[test]
fn fail_prints_only_its_message() {
    assert_eq!(
        template_error("a: 1\nb: {{ fail \"boom here\" }}\n", ""),
        "execution error at (c/templates/t.yaml:2:6): boom here"
    );
    assert_eq!(
        template_error("a: {{ tpl \"{{ fail \\\"in tpl\\\" }}\" . }}\n", ""),
        "execution error at (c/templates/t.yaml:1:6): in tpl"
    );
}

#[test]
fn include_of_an_unknown_template_is_traced() {
    assert_eq!(
        template_error("a: {{ include \"nope\" . }}\n", ""),
        "c/templates/t.yaml:1:6\n  executing \"c/templates/t.yaml\" at <include \"nope\" .>:\n    error calling include:\ntemplate: no template \"nope\" associated with template \"gotpl\""
    );
    assert_eq!(
        template_error("a: {{ template \"nope\" . }}\n", ""),
        "c/templates/t.yaml:1:15\n  executing \"c/templates/t.yaml\" at <{{template \"nope\" .}}>:\n    template \"nope\" not defined"
    );
}

#[test]
fn endless_include_recursion_stops_after_a_thousand_levels() {
    let first = "template: c/templates/t.yaml:1:50: executing \"c/templates/t.yaml\" at <include \"r\" .>: error calling include: ";
    let level = "template: c/templates/t.yaml:1:19: executing \"r\" at <include \"r\" .>: error calling include: ";
    let last = "rendering template has a nested reference name: r: unable to execute template";
    let text = template_error(
        "{{ define \"r\" }}{{ include \"r\" . }}{{ end }}a: {{ include \"r\" . }}\n",
        "",
    );
    // Helm's text is one line of 1001 nested levels under the first call.
    assert!(
        text == format!("{first}{}{last}", level.repeat(1001)),
        "unexpected text ({} bytes): {}…{}",
        text.len(),
        &text[..text.len().min(300)],
        &text[text.len().saturating_sub(300)..]
    );
}

#[test]
fn tpl_of_a_bad_string_says_what_it_could_not_parse_or_run() {
    for (template, expected) in [
        (
            "a: {{ tpl \"{{ .x\" . }}\n",
            "template: c/templates/t.yaml:1:6: executing \"c/templates/t.yaml\" at <tpl \"{{ .x\" .>: error calling tpl: cannot parse template \"{{ .x\": template: gotpl:1: unclosed action",
        ),
        (
            "a: {{ tpl \"{{ nope }}\" . }}\n",
            "template: c/templates/t.yaml:1:6: executing \"c/templates/t.yaml\" at <tpl \"{{ nope }}\" .>: error calling tpl: cannot parse template \"{{ nope }}\": template: gotpl:1: function \"nope\" not defined",
        ),
        (
            "a: {{ tpl \"{{ .Values.a.b }}\" . }}\n",
            "template: c/templates/t.yaml:1:6: executing \"c/templates/t.yaml\" at <tpl \"{{ .Values.a.b }}\" .>: error calling tpl: error during tpl function execution for \"{{ .Values.a.b }}\": template: gotpl:1:10: executing \"gotpl\" at <.Values.a.b>: nil pointer evaluating interface {}.b",
        ),
    ] {
        assert_eq!(template_error(template, ""), expected, "{template:?}");
    }
}

#[test]
fn to_yaml_of_an_unserialisable_value_is_empty_and_must_to_yaml_fails() {
    // NaN and ±Inf cannot be JSON: toYaml, toJson and toPrettyJson print nothing.
    let out = rendered(
        "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: x\ndata:\n  a: \"[{{ toYaml (float64 \"NaN\") }}]\"\n  b: \"[{{ toJson (float64 \"Inf\") }}]\"\n  c: \"[{{ toPrettyJson (float64 \"NaN\") }}]\"\n",
    );
    assert!(
        out.contains("  a: \"[]\"\n  b: \"[]\"\n  c: \"[]\"\n"),
        "{out}"
    );
    for (template, expected) in [
        (
            "a: [{{ mustToYaml (float64 \"NaN\") }}]\n",
            "template: c/templates/t.yaml:1:7: executing \"c/templates/t.yaml\" at <mustToYaml (float64 \"NaN\")>: error calling mustToYaml: error marshaling into JSON: json: unsupported value: NaN",
        ),
        (
            "a: [{{ mustToJson (float64 \"NaN\") }}]\n",
            "template: c/templates/t.yaml:1:7: executing \"c/templates/t.yaml\" at <mustToJson (float64 \"NaN\")>: error calling mustToJson: json: unsupported value: NaN",
        ),
        (
            "a: [{{ toRawJson (float64 \"Inf\") }}]\n",
            "template: c/templates/t.yaml:1:7: executing \"c/templates/t.yaml\" at <toRawJson (float64 \"Inf\")>: error calling toRawJson: json: unsupported value: +Inf",
        ),
    ] {
        assert_eq!(template_error(template, ""), expected, "{template:?}");
    }
}

#[test]
fn from_yaml_and_from_json_put_their_error_in_the_result() {
    let out = rendered(
        "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: x\ndata:\n  list: {{ fromYaml \"- a\" | toJson | quote }}\n  scalar: {{ fromYaml \"hello\" | toJson | quote }}\n  array: {{ fromYamlArray \"a: b\" | toJson | quote }}\n  json: {{ fromJson \"{\" | toJson | quote }}\n  jsonlist: {{ fromJson \"[1]\" | toJson | quote }}\n  jsonarray: {{ fromJsonArray \"{}\" | toJson | quote }}\n  empty: {{ fromYaml \"\" | toJson | quote }}\n  yamlsyntax: {{ fromYaml \"a: [\" | toJson | quote }}\n  jsonsyntax: {{ fromJson \"{} x\" | toJson | quote }}\n",
    );
    for line in [
        r#"  list: "{\"Error\":\"error unmarshaling JSON: while decoding JSON: json: cannot unmarshal array into Go value of type map[string]interface {}\"}""#,
        r#"  scalar: "{\"Error\":\"error unmarshaling JSON: while decoding JSON: json: cannot unmarshal string into Go value of type map[string]interface {}\"}""#,
        r#"  array: "[\"error unmarshaling JSON: while decoding JSON: json: cannot unmarshal object into Go value of type []interface {}\"]""#,
        r#"  json: "{\"Error\":\"unexpected end of JSON input\"}""#,
        r#"  jsonlist: "{\"Error\":\"json: cannot unmarshal array into Go value of type map[string]interface {}\"}""#,
        r#"  jsonarray: "[\"json: cannot unmarshal object into Go value of type []interface {}\"]""#,
        r#"  empty: "{}""#,
        r#"  yamlsyntax: "{\"Error\":\"error converting YAML to JSON: yaml: line 1: did not find expected node content\"}""#,
        r#"  jsonsyntax: "{\"Error\":\"invalid character 'x' after top-level value\"}""#,
    ] {
        assert!(out.lines().any(|l| l == line), "missing {line}\n{out}");
    }
}

#[test]
fn a_template_that_renders_invalid_yaml_names_the_template_and_line() {
    // go-yaml's line rule: parser errors name the 0-based line (here the line before the
    // end of input), scanner errors the 1-based one; a document's leading blank lines do
    // not count, its trailing ones do.
    let head = "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: x\n";
    for (template, expected) in [
        (
            format!("{head}data:\n  a: [unclosed\n"),
            "line 6: did not find expected ',' or ']'",
        ),
        (
            format!("{head}data:\n  a: b\n   c: d\n"),
            "line 7: mapping values are not allowed in this context",
        ),
        (
            format!("{head}---\n{head}  bad: [\n"),
            "line 5: did not find expected node content",
        ),
        (
            "apiVersion: v1\nkind: ConfigMap\nmetadata:\n\tname: x\n".to_string(),
            "line 4: found character that cannot start any token",
        ),
        (
            format!("\n\n{head}  a: [\n"),
            "line 5: did not find expected node content",
        ),
        (
            format!("{head}  a: [\n\n\n\n"),
            "line 8: did not find expected node content",
        ),
        (
            "\n\nkind: \"Pod\n\n\n".to_string(),
            "line 4: found unexpected end of stream",
        ),
        (
            "kind: Pod: x\n".to_string(),
            "mapping values are not allowed in this context",
        ),
    ] {
        assert_eq!(
            template_error(&template, ""),
            format!(
                "YAML parse error on c/templates/t.yaml: error converting YAML to JSON: yaml: {expected}"
            ),
            "{template:?}"
        );
    }
}

#[test]
fn install_reports_template_errors_as_helm_and_stores_nothing() {
    let ns = create_ns("template-errors");
    for (name, template, expected) in [
        (
            "parse",
            "a: 1\nb: {{ .Values.x \n",
            "parse error at (c/templates/t.yaml:3): unclosed action started at c/templates/t.yaml:2",
        ),
        (
            "required",
            "a: {{ required \"x is required\" .Values.x }}\n",
            "execution error at (c/templates/t.yaml:1:6): x is required",
        ),
        (
            "fail",
            "a: 1\nb: {{ fail \"boom here\" }}\n",
            "execution error at (c/templates/t.yaml:2:6): boom here",
        ),
        (
            "argtype",
            "a: {{ upper 1 }}\n",
            "c/templates/t.yaml:1:12\n  executing \"c/templates/t.yaml\" at <1>:\n    expected string; found 1",
        ),
        (
            "include",
            "a: {{ include \"nope\" . }}\n",
            "c/templates/t.yaml:1:6\n  executing \"c/templates/t.yaml\" at <include \"nope\" .>:\n    error calling include:\ntemplate: no template \"nope\" associated with template \"gotpl\"",
        ),
        (
            "yaml",
            "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: x\ndata:\n  a: [unclosed\n",
            "YAML parse error on c/templates/t.yaml: error converting YAML to JSON: yaml: line 6: did not find expected ',' or ']'",
        ),
        (
            "tpl",
            "a: {{ tpl \"{{ .x\" . }}\n",
            "template: c/templates/t.yaml:1:6: executing \"c/templates/t.yaml\" at <tpl \"{{ .x\" .>: error calling tpl: cannot parse template \"{{ .x\": template: gotpl:1: unclosed action",
        ),
    ] {
        let dir = chart(template, "");
        let out = rhelm(&[
            "install",
            name,
            dir.path().to_str().expect("utf-8"),
            "-n",
            &ns,
        ])
        .fails();
        assert_eq!(
            error_text(&out),
            format!("INSTALLATION FAILED: {expected}"),
            "\n{out}"
        );
    }
    let records = stored_releases(&ns, "");
    assert!(
        records.is_empty(),
        "a failed render stores nothing: {:?}",
        records.iter().map(|r| &r.object_name).collect::<Vec<_>>()
    );
}

#[test]
fn copying_or_digging_into_a_missing_value_fails_as_in_go() {
    for (template, message) in [
        (
            "a: {{ deepCopy .Values.missing }}\n",
            "template: c/templates/t.yaml:1:6: executing \"c/templates/t.yaml\" at <deepCopy .Values.missing>: error calling deepCopy: reflect: call of reflect.Value.Type on zero Value",
        ),
        (
            "a: {{ mustDeepCopy nil }}\n",
            "template: c/templates/t.yaml:1:6: executing \"c/templates/t.yaml\" at <mustDeepCopy nil>: error calling mustDeepCopy: reflect: call of reflect.Value.Type on zero Value",
        ),
        (
            "a: {{ dig \"a\" \"b\" .Values.missing }}\n",
            "template: c/templates/t.yaml:1:6: executing \"c/templates/t.yaml\" at <dig \"a\" \"b\" .Values.missing>: error calling dig: interface conversion: interface {} is nil, not map[string]interface {}",
        ),
    ] {
        assert_eq!(template_error(template, "a: 1\n"), message, "{template}");
    }
}

#[test]
fn a_nil_read_from_data_is_refused_by_map_functions_but_a_piped_one_is_not() {
    // Go types a value read from a field `interface {}`; a nil of that type cannot become a
    // map parameter. Through a variable, parentheses or a pipe it arrives untyped and is
    // taken as a nil map. Texts and outputs are those of real Helm 4.3.
    for (template, at, node) in [
        ("a: {{ keys .Values.missing }}\n", "1:18", ".Values.missing"),
        (
            "a: {{ pick .Values.missing \"x\" }}\n",
            "1:18",
            ".Values.missing",
        ),
        ("a: {{ hasKey $.Values.n \"x\" }}\n", "1:14", "$.Values.n"),
    ] {
        assert_eq!(
            template_error(template, "a: 1\nn: null\n"),
            format!(
                "c/templates/t.yaml:{at}\n  executing \"c/templates/t.yaml\" at <{node}>:\n    wrong type for value; expected map[string]interface {{}}; got interface {{}}"
            ),
            "{template}"
        );
    }
    for template in [
        "a: {{ $x := .Values.missing }}{{ keys $x }}\n",
        "a: {{ keys (.Values.missing) }}\n",
        "a: {{ .Values.missing | values }}\n",
        "a: {{ keys nil }}\n",
    ] {
        assert_eq!(
            rendered(template),
            "---\n# Source: c/templates/t.yaml\na: []\n",
            "{template}"
        );
    }
}

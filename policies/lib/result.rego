# METADATA
# description: Builds findings, so that no rule hand-writes their shape.
package jobguard.lib.result

# fail is a finding: a message for a person, and the path (keys and indexes) of the field it is about.
# When the field is absent, the path still names it; front ends point at its nearest existing parent.
fail(message, path) := {"message": message, "path": path}

# fail_with_fix is a finding whose field the rule's declared default would set.
fail_with_fix(message, path, value) := {"message": message, "path": path, "fix": value}

# fail_with_severity is a finding whose severity differs from the rule's default.
fail_with_severity(message, path, severity) := {"message": message, "path": path, "severity": severity}

package jobguard.rules.batch.secret_in_env_test

import data.jobguard.lib.fixtures
import data.jobguard.rules.batch.secret_in_env

denied(name, value) := d if {
	pod := {"containers": [{"name": "db", "image": "mysql:8", "env": [{"name": name, "value": value}]}]}
	d := secret_in_env.deny with input as fixtures.with_pod(pod)
}

test_credential_names_denied if {
	every name in ["MYSQL_PASSWORD", "password", "API_KEY", "GITHUB_TOKEN", "AWS_SECRET_ACCESS_KEY", "db.passwd", "SECRET", "PGPASSWORD", "REDISCLI_AUTH"] {
		count(denied(name, "hunter2")) == 1
	}
}

test_path_is_value if {
	some f in denied("DB_PASSWORD", "hunter2")
	f.path == ["spec", "template", "spec", "containers", 0, "env", 0, "value"]
}

test_other_names_allowed if {
	every name in ["MONKEY", "LOG_LEVEL", "TOKEN_FILE", "SECRET_NAME", "PASSWORD_PATH", "KEYCLOAK_URL", "SSH_KEY_PATH", "PGPASSWORDS", "MY_PGPASSWORD_HINT", "PGUSER"] {
		count(denied(name, "x")) == 0
	}
}

test_empty_and_reference_allowed if {
	count(denied("PASSWORD", "")) == 0
	count(denied("PASSWORD", "$(DB_PASSWORD)")) == 0
}

test_secret_key_ref_allowed if {
	pod := {"containers": [{"name": "db", "image": "mysql:8", "env": [{"name": "PASSWORD", "valueFrom": {"secretKeyRef": {"name": "s", "key": "p"}}}]}]}
	count(secret_in_env.deny) == 0 with input as fixtures.with_pod(pod)
}

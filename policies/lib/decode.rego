# METADATA
# description: |
#   What the API server's decoder makes of the object (jobguard.k8s.decode_errors): computed once
#   per evaluation and shared by invalid-field and unknown-field.
package jobguard.lib.decode

errors := jobguard.k8s.decode_errors(input.object)

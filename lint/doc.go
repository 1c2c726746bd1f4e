// Package lint is jobguard's offline front door: it reads manifests (files, directories, standard
// input, Helm charts and kustomizations rendered in-process), hands every object to the engine's
// policies.Batch, and places each finding at the file, line and column of its field, honouring
// `# jobguard:ignore` comments. It holds no rule logic. Large runs keep their findings on disk
// (WithSpillDir); output formats live in lint/output.
package lint

// kube-yaml reads a YAML stream from stdin the way Kluctl and kubectl read one (documents split by
// k8s.io/apimachinery's YAMLReader, each decoded by sigs.k8s.io/yaml, empty documents dropped) and
// writes one JSON document to stdout: the objects, as Go's encoding/json prints them, and the objects
// hash computed the way Kluctl's DeploymentCollection.CalcObjectsHash does (sha256 over the
// concatenated sha256 digests of each object's JSON). The parity suite uses it as the reader of both
// tools' output, so numbers, quoting and YAML 1.1 scalars are judged by the Go ecosystem, not by us.
package main

import (
	"bufio"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"os"

	kyaml "k8s.io/apimachinery/pkg/util/yaml"
	"sigs.k8s.io/yaml"
)

type output struct {
	Objects     []any  `json:"objects"`
	ObjectsHash string `json:"objectsHash"`
}

func main() {
	if err := run(os.Stdin, os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
}

func run(in io.Reader, out io.Writer) error {
	reader := kyaml.NewYAMLReader(bufio.NewReader(in))
	objects := []any{}
	outer := sha256.New()
	for i := 0; ; i++ {
		doc, err := reader.Read()
		if err == io.EOF {
			break
		}
		if err != nil {
			return fmt.Errorf("reading document %d: %w", i, err)
		}
		var o any
		// Strict, as Kluctl's ReadYamlAllStream: duplicate keys are an error, not a silent overwrite.
		if err := yaml.UnmarshalStrict(doc, &o); err != nil {
			return fmt.Errorf("decoding document %d: %w", i, err)
		}
		if o == nil {
			continue
		}
		j, err := json.Marshal(o)
		if err != nil {
			return err
		}
		digest := sha256.Sum256(j)
		outer.Write(digest[:])
		objects = append(objects, o)
	}
	return json.NewEncoder(out).Encode(output{Objects: objects, ObjectsHash: hex.EncodeToString(outer.Sum(nil))})
}

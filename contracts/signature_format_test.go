package contracts

import (
	"context"
	"strings"
	"testing"
)

func signatureDoc(t *testing.T, ext string) (map[string]SignatureScheme, []Problem) {
	t.Helper()
	src := `openapi: 3.0.3
info: {title: t, version: "1"}
paths: {}
components:
  securitySchemes:
    partner-sig:
      type: apiKey
      in: header
      name: Signature
      x-accord-signature:
` + ext
	doc, err := LoadBytes(context.Background(), "sig.yaml", []byte(src), LoadOptions{})
	if err != nil {
		t.Fatal(err)
	}
	return doc.SignatureSchemes()
}

func TestSignatureFormatHTTPMessageSignatures(t *testing.T) {
	schemes, ps := signatureDoc(t, "        algorithm: hmac-sha256\n        format: http-message-signatures\n        tolerance: 2m\n")
	s := schemes["partner-sig"]
	if len(ps) != 0 || s.Format != FormatHTTPMessageSignatures || s.SignatureHeader != "Signature" || s.TimestampHeader != "" || s.NonceHeader != "" {
		t.Fatalf("scheme %+v, problems %v", s, ps)
	}
	for _, k := range []string{"signatureHeader: X-Sig", "timestampHeader: X-Ts", "nonceHeader: X-N"} {
		_, ps := signatureDoc(t, "        format: http-message-signatures\n        "+k+"\n")
		if len(ps) != 1 || ps[0].Code != "signature-bad-value" || !strings.Contains(ps[0].Message, "RFC 9421") || ps[0].Pos.Line == 0 {
			t.Errorf("%s: %v", k, ps)
		}
	}
	_, ps = signatureDoc(t, "        format: rfc9421\n")
	if len(ps) != 1 || !strings.Contains(ps[0].Message, "http-message-signatures") {
		t.Errorf("unknown format: %v", ps)
	}
}

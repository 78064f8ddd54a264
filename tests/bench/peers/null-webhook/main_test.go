package main

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

func TestAllowsWithTheRequestsUID(t *testing.T) {
	for _, body := range []string{
		`{"apiVersion":"admission.k8s.io/v1","kind":"AdmissionReview","request":{"uid":"7c1d-42","object":{"kind":"Pod"}}}`,
		`{"request":{"object":{"spec":{"containers":[{"name":"seid"}]}},"uid":"second"}}`,
	} {
		rec := httptest.NewRecorder()
		admit(rec, httptest.NewRequest(http.MethodPost, "/validate", strings.NewReader(body)))
		if rec.Code != http.StatusOK {
			t.Fatalf("%s: status %d", body, rec.Code)
		}
		var in, out map[string]any
		json.Unmarshal([]byte(body), &in)
		if err := json.Unmarshal(rec.Body.Bytes(), &out); err != nil {
			t.Fatalf("answer is not JSON: %v", err)
		}
		resp := out["response"].(map[string]any)
		uid := in["request"].(map[string]any)["uid"]
		if out["apiVersion"] != "admission.k8s.io/v1" || out["kind"] != "AdmissionReview" ||
			resp["uid"] != uid || resp["allowed"] != true || len(resp) != 2 {
			t.Fatalf("answer %s for uid %v", rec.Body.String(), uid)
		}
	}
}

func TestRefusesWhatIsNotAReview(t *testing.T) {
	for _, body := range []string{``, `[]`, `{"response":{}}`, `{"request":`} {
		rec := httptest.NewRecorder()
		admit(rec, httptest.NewRequest(http.MethodPost, "/mutate", strings.NewReader(body)))
		if rec.Code != http.StatusBadRequest {
			t.Errorf("%q: status %d, want 400", body, rec.Code)
		}
	}
}

// matchcond evaluates webhook matchConditions the way kube-apiserver does,
// with its own code: the expressions are compiled by the compiler the API
// server validates a webhook configuration with (k8s.io/apiserver
// pkg/admission/plugin/cel, the new-expression environment, authorizer
// declared), objects are decoded into their Go types as the API server
// decodes a request body (explicit nulls and unknown fields gone), and each
// is evaluated through ConditionEvaluator.ForInput under the runtime budget
// of matchConditions (RuntimeCELCostBudgetMatchConditions), which reports
// the cost the API server charges. No static estimate is printed: the API
// server computes none for matchConditions (object is dyn, unbounded), only
// this runtime charge.
//
// Input (stdin, JSON):
//
//	{"conditions": [{"name", "expression"}],
//	 "cases": [{"id", "kind": {group, version, kind}, "resource": {group, version, resource},
//	            "operation", "namespace", "name", "object", "oldObject"}]}
//
// Output (stdout, JSON):
//
//	{"compileErrors": [text], "budget": N,
//	 "cases": [{"id", "decodeError", "results": [{"name", "value", "error", "cost"}]}]}
package main

import (
	"context"
	"encoding/json"
	"fmt"
	"os"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apiserver/pkg/admission"
	celplugin "k8s.io/apiserver/pkg/admission/plugin/cel"
	"k8s.io/apiserver/pkg/admission/plugin/webhook/matchconditions"
	celconfig "k8s.io/apiserver/pkg/apis/cel"
	"k8s.io/apiserver/pkg/authentication/user"
	"k8s.io/apiserver/pkg/cel/environment"
	"k8s.io/client-go/kubernetes/scheme"
)

type condition struct {
	Name       string `json:"name"`
	Expression string `json:"expression"`
}

type testCase struct {
	ID        string                      `json:"id"`
	Kind      metav1.GroupVersionKind     `json:"kind"`
	Resource  metav1.GroupVersionResource `json:"resource"`
	Operation string                      `json:"operation"`
	Namespace string                      `json:"namespace"`
	Name      string                      `json:"name"`
	Object    json.RawMessage             `json:"object"`
	OldObject json.RawMessage             `json:"oldObject"`
}

type result struct {
	Name  string `json:"name"`
	Value *bool  `json:"value"`
	Error string `json:"error,omitempty"`
	Cost  int64  `json:"cost"`
}

type caseResult struct {
	ID          string   `json:"id"`
	DecodeError string   `json:"decodeError,omitempty"`
	Results     []result `json:"results"`
}

// decode turns a request's object into what the API server holds: its Go
// type when the scheme knows the kind, else an unstructured object.
func decode(raw json.RawMessage, gvk schema.GroupVersionKind) (runtime.Object, error) {
	if len(raw) == 0 || string(raw) == "null" {
		return nil, nil
	}
	typed, err := scheme.Scheme.New(gvk)
	if err != nil {
		u := &unstructured.Unstructured{}
		return u, u.UnmarshalJSON(raw)
	}
	if err := json.Unmarshal(raw, typed); err != nil {
		return nil, err
	}
	typed.GetObjectKind().SetGroupVersionKind(gvk)
	return typed, nil
}

func main() {
	var in struct {
		Conditions []condition `json:"conditions"`
		Cases      []testCase  `json:"cases"`
	}
	if err := json.NewDecoder(os.Stdin).Decode(&in); err != nil {
		fmt.Fprintln(os.Stderr, "matchcond: input:", err)
		os.Exit(2)
	}
	compiler := celplugin.NewConditionCompiler(environment.MustBaseEnvSet(environment.DefaultCompatibilityVersion()))
	accessors := make([]celplugin.ExpressionAccessor, len(in.Conditions))
	for i, c := range in.Conditions {
		accessors[i] = &matchconditions.MatchCondition{Name: c.Name, Expression: c.Expression}
	}
	options := celplugin.OptionalVariableDeclarations{HasAuthorizer: true}
	out := struct {
		CompileErrors []string     `json:"compileErrors"`
		Budget        int64        `json:"budget"`
		Cases         []caseResult `json:"cases"`
	}{CompileErrors: []string{}, Budget: celconfig.RuntimeCELCostBudgetMatchConditions, Cases: []caseResult{}}
	plain := celplugin.NewCompiler(environment.MustBaseEnvSet(environment.DefaultCompatibilityVersion()))
	for _, a := range accessors {
		if r := plain.CompileCELExpression(a, options, environment.NewExpressions); r.Error != nil {
			out.CompileErrors = append(out.CompileErrors, r.Error.Error())
		}
	}
	// One evaluator per condition, so that each one's cost is its own.
	evaluators := make([]celplugin.ConditionEvaluator, len(accessors))
	for i, a := range accessors {
		evaluators[i] = compiler.CompileCondition([]celplugin.ExpressionAccessor{a}, options, environment.StoredExpressions)
	}
	for _, c := range in.Cases {
		cr := caseResult{ID: c.ID, Results: []result{}}
		gvk := schema.GroupVersionKind{Group: c.Kind.Group, Version: c.Kind.Version, Kind: c.Kind.Kind}
		gvr := schema.GroupVersionResource{Group: c.Resource.Group, Version: c.Resource.Version, Resource: c.Resource.Resource}
		obj, err := decode(c.Object, gvk)
		if err == nil {
			var old runtime.Object
			old, err = decode(c.OldObject, gvk)
			if err == nil {
				attr := admission.NewAttributesRecord(obj, old, gvk, c.Namespace, c.Name, gvr, "",
					admission.Operation(c.Operation), nil, false, &user.DefaultInfo{Name: "admin"})
				versioned := &admission.VersionedAttributes{Attributes: attr, VersionedKind: gvk,
					VersionedObject: admission.NewLazyObject(obj), VersionedOldObject: admission.NewLazyObject(old)}
				request := celplugin.CreateAdmissionRequest(attr, metav1.GroupVersionResource(c.Resource), metav1.GroupVersionKind(c.Kind))
				for i, ev := range evaluators {
					r := result{Name: in.Conditions[i].Name}
					evals, remaining, ferr := ev.ForInput(context.Background(), versioned, request,
						celplugin.OptionalVariableBindings{}, nil, celconfig.RuntimeCELCostBudgetMatchConditions)
					switch {
					case ferr != nil:
						r.Error = ferr.Error()
					case evals[0].Error != nil:
						r.Error = evals[0].Error.Error()
					default:
						if b, ok := evals[0].EvalResult.Value().(bool); ok {
							r.Value = &b
						} else {
							r.Error = fmt.Sprintf("not a bool: %v", evals[0].EvalResult)
						}
					}
					if remaining >= 0 {
						r.Cost = celconfig.RuntimeCELCostBudgetMatchConditions - remaining
					}
					cr.Results = append(cr.Results, r)
				}
			}
		}
		if err != nil {
			cr.DecodeError = err.Error()
		}
		out.Cases = append(out.Cases, cr)
	}
	enc := json.NewEncoder(os.Stdout)
	if err := enc.Encode(out); err != nil {
		os.Exit(1)
	}
}

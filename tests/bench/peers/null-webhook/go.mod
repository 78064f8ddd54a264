module example.invalid/null-webhook

go 1.19

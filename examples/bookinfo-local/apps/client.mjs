// An idle workload to run commands from (`meshctl local exec client -- curl ...`), like a
// sleep pod in Istio's samples. It serves nothing.
setInterval(() => undefined, 1 << 30);

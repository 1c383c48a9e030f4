/**
 * Kubernetes objects the analysis tests share: bookinfo-like Services and Deployments in `default`.
 * Lines matter (messages carry `file:line`), so each constant is a whole file.
 */

/** `reviews` (one port, 9080) and `ratings` (two ports, 9080 and 9090). */
export const SERVICES = `apiVersion: v1
kind: Service
metadata:
  name: reviews
  namespace: default
spec:
  selector: {app: reviews}
  ports:
  - {name: http, port: 9080}
---
apiVersion: v1
kind: Service
metadata:
  name: ratings
  namespace: default
spec:
  selector: {app: ratings}
  ports:
  - {name: http, port: 9080}
  - {name: http-admin, port: 9090}
`;

/** reviews v1 and v2 (no v3), and ratings v1, as Deployments. */
export const DEPLOYMENTS = `apiVersion: apps/v1
kind: Deployment
metadata:
  name: reviews-v1
  namespace: default
spec:
  selector: {matchLabels: {app: reviews, version: v1}}
  template:
    metadata:
      labels: {app: reviews, version: v1}
    spec:
      containers: [{name: reviews, image: reviews:v1}]
---
apiVersion: apps/v1
kind: Deployment
metadata:
  name: reviews-v2
  namespace: default
spec:
  selector: {matchLabels: {app: reviews, version: v2}}
  template:
    metadata:
      labels: {app: reviews, version: v2}
    spec:
      containers: [{name: reviews, image: reviews:v2}]
---
apiVersion: v1
kind: Pod
metadata:
  name: ratings-v1
  namespace: default
  labels: {app: ratings, version: v1}
spec:
  containers: [{name: ratings, image: ratings:v1}]
`;

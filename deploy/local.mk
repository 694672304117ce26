# deploy: the container recipe and Kubernetes manifests (see README,
# "Running many instances"); tests/integration/test_deploy.py checks them.
deploy_files = deploy/Containerfile deploy/superd.yaml deploy/www/index.html \
	deploy/kubernetes/configmap.yaml deploy/kubernetes/deployment.yaml \
	deploy/kubernetes/service.yaml deploy/kubernetes/haproxy.yaml
EXTRA_DIST += deploy/local.mk $(deploy_files)

TESTS += tests/integration/test_deploy.py
EXTRA_DIST += tests/integration/test_deploy.py

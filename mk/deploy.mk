# One-server deployment: systemd units (deploy/systemd/) that run scripts/start_service.sh,
# their settings (deploy/dvt-triage.env.example) and nginx in front (deploy/nginx/), as in
# docs/deployment.md. tests/browser/test_https_proxy.py starts exactly what the units and the
# nginx config say and drives the widget through it; `make test-web` runs it with the other
# browser tests, so it is not added to TEST_TARGETS a second time.
.PHONY: model-path deploy-tools test-deploy

model-path: ## print the model `make train` builds from the checked-out code (the Rasa unit serves it)
	@echo $(MODEL)

# nginx is what the deployment runs; openssl makes the test's certificate; systemd-analyze
# checks the units (it works without systemd running, e.g. in a container).
deploy-tools: ## install Debian's nginx, openssl and systemd-analyze for the deployment test (apt-get), when missing
	@scripts/apt_install.sh /usr/sbin/nginx nginx
	@scripts/apt_install.sh openssl openssl
	@scripts/apt_install.sh systemd-analyze systemd

test-web: deploy-tools

test-deploy: train web chromium deploy-tools ## only the deployment test: the shipped units and nginx config, HTTPS and wss:// on loopback
	DVT_MODEL=$(MODEL) $(BIN)/pytest -q tests/browser/test_https_proxy.py

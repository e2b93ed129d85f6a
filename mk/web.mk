# Website chat widget: the clinic page in web/public with the rasa-webchat widget,
# vendored from the npm registry at build time (web/package-lock.json), served by web/server.py.
.PHONY: web chromium test-web clean-web

export WEB_PORT ?= 8080
WEBCHAT_BUNDLE := web/public/vendor/rasa-webchat.js
# The bundle's stylesheet imports the Inter font from Google Fonts; dropped so that the page
# makes no third-party request (the widget falls back to the page's sans-serif font).
WEBCHAT_FONT_IMPORT := @import url(https://fonts.googleapis.com/css?family=Inter:400,500,700&display=swap);

$(WEBCHAT_BUNDLE): web/package.json web/package-lock.json | $(VENV)/.installed
	@scripts/apt_install.sh npm npm
	cd web && npm ci --ignore-scripts --no-audit --no-fund
	@mkdir -p $(dir $@)
	$(BIN)/python -c 'import sys; src, font = sys.argv[1:]; \
	  js = open(src, encoding="utf-8").read().replace(font, ""); assert "fonts.googleapis.com" not in js; \
	  open("$@.tmp", "w", encoding="utf-8").write(js)' web/node_modules/rasa-webchat/lib/index.js '$(WEBCHAT_FONT_IMPORT)'
	cp web/node_modules/rasa-webchat/LICENSE $(dir $@)rasa-webchat.LICENSE
	mv $@.tmp $@

web: venv $(WEBCHAT_BUNDLE) ## vendor the rasa-webchat widget from npm into web/public/vendor (npm ci)

# The page (web/server.py) serves the vendored widget: make run and the end-to-end tests that
# start it (the start-up and clinic-settings tests) need it first.
run: web
test-e2e: web

chromium: ## install Debian's chromium for the browser test (apt-get), when missing
	@scripts/apt_install.sh /usr/bin/chromium chromium fonts-liberation

test-web: train web chromium ## browser test: the chat widget page through chromium + Playwright
	DVT_MODEL=$(MODEL) $(BIN)/pytest -q tests/browser

TEST_TARGETS += test-web

clean: clean-web
clean-web:
	rm -rf web/node_modules web/public/vendor

# The two commands of the README: `make run` and `make test`. Both set up what they need.
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
HOST   ?= 127.0.0.1
PORT   ?= 8080

.PHONY: run test lint bench demo clean

$(BIN)/fengqiao: pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip
	$(BIN)/pip install -q -e '.[test]'
	touch $@

run: $(BIN)/fengqiao
	$(BIN)/fengqiao serve --host $(HOST) --port $(PORT)

demo: $(BIN)/fengqiao
	$(BIN)/fengqiao demo

test: $(BIN)/fengqiao
	./scripts/system-deps.sh
	$(BIN)/ruff check fengqiao tests bench
	$(BIN)/mypy fengqiao
	$(BIN)/python -m pytest -q $(PYTEST_ARGS)

lint: $(BIN)/fengqiao
	$(BIN)/ruff check fengqiao tests bench
	$(BIN)/mypy fengqiao

bench: $(BIN)/fengqiao
	status=0; for b in bench/*.py; do $(BIN)/python $$b || status=1; done; exit $$status

clean:
	rm -rf $(VENV) var .pytest_cache

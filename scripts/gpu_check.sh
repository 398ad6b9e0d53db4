#!/usr/bin/env bash
# The GPU path of finetune_gpt2.py, measured in one short run: fp16 with gradient accumulation on
# CUDA (all weights), then LoRA once on top of that model; prints tokens/s and the before/after
# figures (held-out perplexity, share of generations the guard would serve) as a Markdown table for
# docs/finetuning.md. About 5 minutes on one recent GPU.
#
#     bash scripts/gpu_check.sh            # OUT_DIR=runs/gpu-check STEPS=200 PYTHON=python3
#
# Corpus: data/medical_corpus (scripts/build_corpus.py) when built, else the bundled sample corpus.
set -euo pipefail
cd "$(dirname "$0")/.."
PYTHON=${PYTHON:-python3}
OUT_DIR=${OUT_DIR:-runs/gpu-check}
STEPS=${STEPS:-200}
export HF_HUB_OFFLINE=1 TOKENIZERS_PARALLELISM=false

"$PYTHON" -c "import torch, sys; sys.exit(0 if torch.cuda.is_available() else 'no CUDA device: this check needs a GPU')"
"$PYTHON" -c "import torch; print('device:', torch.cuda.get_device_name(0), '| torch', torch.__version__)"

CORPUS=data/medical_corpus
if [ ! -d "$CORPUS" ]; then
    if [ -d data/corpus ]; then "$PYTHON" scripts/build_corpus.py; else CORPUS=medical_corpus; fi
fi
echo "corpus: $CORPUS"

COMMON=(--data_dir "$CORPUS" --cache_dir "$OUT_DIR/datasets-cache" --precision fp16
        --max_length 256 --batch_size 8 --gradient_accumulation_steps 4 --warmup_steps 20
        --max_steps "$STEPS" --max_eval_samples 64 --logging_steps 10 --save_steps 100000
        --preprocessing_num_workers 4)

"$PYTHON" finetune_gpt2.py "${COMMON[@]}" --output_dir "$OUT_DIR/full" --learning_rate 1e-3 \
    --init_from_scratch --n_layer 6 --n_head 8 --n_embd 256
"$PYTHON" finetune_gpt2.py "${COMMON[@]}" --output_dir "$OUT_DIR/lora" --learning_rate 1e-3 \
    --model_name "$OUT_DIR/full" --use_lora --lora_r 16 --lora_alpha 32 --lora_target_modules c_attn,c_proj

"$PYTHON" - "$OUT_DIR" <<'PY'
import json, sys
from pathlib import Path

out = Path(sys.argv[1])
print("\n| run | device, precision | steps | tokens/s | trainable | perplexity before -> after | guard serves before -> after |")
print("|---|---|---|---|---|---|---|")
for name in ("full", "lora"):
    m = json.loads((out / name / "metrics.json").read_text())
    t, g = m["train"], m["guard"]
    share = lambda f: f"{f['served']}/{f['prompts']}" if f else "-"
    print(f"| {name} | {t['device']}, {t['precision']} | {t['steps']} | {t['tokens_per_s']:,.0f} | "
          f"{m['trainable_parameters']:,} of {m['parameters']:,} | "
          f"{m['before']['perplexity']:,.2f} -> {m['after']['perplexity']:,.2f} | "
          f"{share(g['before'])} -> {share(g['after'])} |")
PY

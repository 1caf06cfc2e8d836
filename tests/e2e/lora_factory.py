"""Real PEFT LoRA adapters for the built-in model, made on the fly for e2e tests."""

from __future__ import annotations

from pathlib import Path

from evalspec.engines.builtin import resolve_builtin


def save_lora(out: Path, *, zero: bool) -> None:
    """A rank-8 PEFT LoRA on q/v projections: B=0 (a no-op) or random and scaled up (noise)."""
    import torch
    from peft import LoraConfig, get_peft_model
    from transformers import AutoModelForCausalLM

    base_dir, _ = resolve_builtin("smollm2-135m-instruct")
    torch.manual_seed(0)
    base = AutoModelForCausalLM.from_pretrained(base_dir, dtype=torch.float32)
    config = LoraConfig(
        r=8, lora_alpha=16, target_modules=["q_proj", "v_proj"], init_lora_weights=zero
    )
    model = get_peft_model(base, config)
    if not zero:
        with torch.no_grad():
            for name, param in model.named_parameters():
                if "lora_B" in name:
                    param.mul_(50.0)
    model.save_pretrained(out)

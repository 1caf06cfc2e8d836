"""The registry of dataset formats: how each published format's rows become Samples."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Literal

from evalspec.data.arc import parse_arc_row
from evalspec.data.bfcl import parse_bfcl_row
from evalspec.data.gsm8k import parse_gsm8k_row
from evalspec.data.hellaswag import parse_hellaswag_row
from evalspec.data.hendrycks_math import parse_math_row
from evalspec.data.humaneval import parse_humaneval_row
from evalspec.data.ifeval import parse_ifeval_row
from evalspec.data.json_extraction import parse_json_extraction_row
from evalspec.data.jsonl import parse_jsonl_row
from evalspec.data.mbpp import parse_mbpp_row
from evalspec.data.mmlu import CSV_COLUMNS as MMLU_CSV_COLUMNS
from evalspec.data.mmlu import parse_mmlu_row
from evalspec.data.mt_bench import parse_mt_bench_row
from evalspec.data.open_qa import parse_open_qa_row
from evalspec.data.pubmedqa import parse_pubmedqa_row
from evalspec.data.rows import Row
from evalspec.data.truthfulqa import parse_truthfulqa_mc1_row, parse_truthfulqa_mc2_row
from evalspec.data.types import Sample
from evalspec.data.winogrande import parse_winogrande_row

# A row parser returns (sample, id_derived): id_derived is True when the id was computed
# from the content rather than read from the row (duplicate-id errors then explain why).
RowParser = Callable[[Row], tuple[Sample, bool]]


@dataclass(frozen=True)
class FormatInfo:
    parser: RowParser
    default_split: str = "test"
    # header-less CSV files of this format (MMLU's published CSVs): the column names
    csv_columns: tuple[str, ...] | None = None
    # where the format is published, for "source not found" errors
    published: str = ""
    # how few-shot examples are picked unless the spec says (lm-eval's default per task:
    # `first_n` for MMLU, its random `default` sampler for the rest)
    fewshot_sampler: Literal["first_n", "random"] = "random"
    # bumped when the prompts the parser writes change: from 2 on it enters the dataset
    # digest, so units over the changed prompts get new hashes (and miss the response cache)
    revision: int = 1


def _arc(config: str) -> str:
    return f"allenai/ai2_arc {config}-Test.jsonl or hf:allenai/ai2_arc (config {config})"


_TRUTHFULQA = (
    "sylinrl/TruthfulQA data/mc_task.json or hf:truthfulqa/truthful_qa (config multiple_choice)"
)

FORMATS: dict[str, FormatInfo] = {
    "jsonl": FormatInfo(parse_jsonl_row),
    "gsm8k": FormatInfo(parse_gsm8k_row, published="openai/grade-school-math test.jsonl"),
    "humaneval": FormatInfo(parse_humaneval_row, published="builtin:humaneval"),
    "mbpp": FormatInfo(
        parse_mbpp_row,
        published="google-research/mbpp mbpp.jsonl or sanitized-mbpp.json, or "
        "hf:google-research-datasets/mbpp (config full or sanitized)",
    ),
    "math": FormatInfo(
        parse_math_row,
        published="hendrycks/math MATH/test/<type>/*.json, hf:EleutherAI/hendrycks_math "
        "or hf:HuggingFaceH4/MATH-500",
    ),
    "mmlu": FormatInfo(
        parse_mmlu_row,
        csv_columns=MMLU_CSV_COLUMNS,
        fewshot_sampler="first_n",
        revision=2,  # 2: lm-eval's subject description opens the prompt
        published="hendrycks/test data.tar (data/test/<subject>_test.csv, header-less) "
        "or hf:cais/mmlu (config all)",
    ),
    "arc": FormatInfo(
        parse_arc_row,
        published="allenai/ai2_arc ARC-Challenge-Test.jsonl or ARC-Easy-Test.jsonl, or "
        "hf:allenai/ai2_arc (config ARC-Challenge or ARC-Easy)",
    ),
    "arc_challenge": FormatInfo(parse_arc_row, published=_arc("ARC-Challenge")),
    "arc_easy": FormatInfo(parse_arc_row, published=_arc("ARC-Easy")),
    "hellaswag": FormatInfo(
        parse_hellaswag_row,
        default_split="validation",
        published="rowanz/hellaswag data/hellaswag_val.jsonl or hf:Rowan/hellaswag",
    ),
    "winogrande": FormatInfo(
        parse_winogrande_row,
        default_split="validation",
        published="allenai/winogrande dev.jsonl or hf:allenai/winogrande (config winogrande_xl)",
    ),
    "truthfulqa_mc1": FormatInfo(
        parse_truthfulqa_mc1_row, default_split="validation", published=_TRUTHFULQA
    ),
    "truthfulqa_mc2": FormatInfo(
        parse_truthfulqa_mc2_row, default_split="validation", published=_TRUTHFULQA
    ),
    "ifeval": FormatInfo(
        parse_ifeval_row,
        default_split="train",
        published="google-research instruction_following_eval/data/input_data.jsonl "
        "or hf:google/IFEval",
    ),
    "mt_bench": FormatInfo(
        parse_mt_bench_row,
        default_split="train",
        published="lm-sys/FastChat fastchat/llm_judge/data/mt_bench/question.jsonl "
        "or hf:HuggingFaceH4/mt_bench_prompts",
    ),
    "bfcl": FormatInfo(
        parse_bfcl_row,
        published="ShishirPatil/gorilla bfcl_eval/data/BFCL_v3_<category>.json, with "
        "dataset.answers = its possible_answer/BFCL_v3_<category>.json",
    ),
    "pubmedqa": FormatInfo(
        parse_pubmedqa_row,
        published="pubmedqa/pubmedqa data/ori_pqal.json or hf:bigbio/pubmed_qa "
        "(config pubmed_qa_labeled_fold0_source)",
    ),
    "json_extraction": FormatInfo(parse_json_extraction_row),
    "open_qa": FormatInfo(parse_open_qa_row),
}

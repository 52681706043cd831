//! Detection on real-world configs (tests/fixtures/real-configs, odd ones included) and coverage of
//! every model_type in the pinned transformers tables.

use std::path::{Path, PathBuf};

use skillgen_generator::AutoConfig;
use skillgen_generator::ModelList;
use skillgen_generator::{coverage, detect, model_type_count, Family, Task};

/// Real configs, copied into the repository with their provenance (see its README.md).
fn shared() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/real-configs")
}

/// Every config.json under tests/fixtures/real-configs/autoconfigs*/, as (model id, path).
/// `autoconfigs-newest/` holds configs of this year's model types written offline by their
/// transformers config classes (its `write_configs.py` and `PROVENANCE.tsv`).
fn shared_configs() -> Vec<(String, PathBuf)> {
    let mut out = Vec::new();
    for dir in ["autoconfigs", "autoconfigs-extra", "autoconfigs-newest"] {
        let root = shared().join(dir);
        let Ok(orgs) = std::fs::read_dir(&root) else {
            continue;
        };
        for org in orgs.flatten() {
            let p = org.path();
            if p.join("config.json").is_file() {
                out.push((
                    org.file_name().to_string_lossy().into_owned(),
                    p.join("config.json"),
                ));
            } else if p.is_dir() {
                for m in std::fs::read_dir(&p).unwrap().flatten() {
                    if m.path().join("config.json").is_file() {
                        out.push((
                            format!(
                                "{}/{}",
                                org.file_name().to_string_lossy(),
                                m.file_name().to_string_lossy()
                            ),
                            m.path().join("config.json"),
                        ));
                    }
                }
            }
        }
    }
    out.sort();
    out
}

/// Detection outcome as one line: `family/task` (+ ` remote`) or `error: <message>`.
fn outcome(id: &str, path: &Path) -> String {
    let manifest_id = id.split('@').next().unwrap();
    let manifest = ModelList::parse(
        Path::new("models.toml"),
        format!("[[model]]\nid = \"{manifest_id}\"\n"),
    )
    .unwrap();
    let bytes = std::fs::read(path).unwrap();
    let config = match AutoConfig::parse(path, id, &bytes) {
        Ok(c) => c,
        Err(e) => return format!("error: {e}"),
    };
    match detect(&manifest.models[0].request(), Some(&config)) {
        Ok(d) => format!(
            "{}:{}/{}{}",
            d.model_type,
            d.family,
            d.task,
            if d.custom_code.is_some() {
                " remote"
            } else {
                ""
            }
        ),
        Err(e) => format!("error: {e}"),
    }
}

/// What each real-world config must detect as. Errors are matched by a phrase of the message.
const EXPECTED: &[(&str, &str)] = &[
    (
        "EleutherAI/gpt-neo-125M",
        "gpt_neo:text_decoder/text_generation",
    ),
    ("Qwen/Qwen2-0.5B", "qwen2:text_decoder/text_generation"),
    (
        "Salesforce/blip-image-captioning-base",
        "blip:image_to_text/image_to_text",
    ),
    (
        "Xenova/Phi-3-mini-4k-instruct",
        "phi3:text_decoder/text_generation",
    ),
    (
        "Xenova/clip-vit-base-patch32",
        "clip:vision_text_dual_encoder/image_text_embedding",
    ),
    (
        "Xenova/distilbart-cnn-6-6",
        "bart:text_encoder_decoder/text2text_generation",
    ),
    (
        "Xenova/distilbert-base-cased-distilled-squad",
        "distilbert:text_encoder/question_answering",
    ),
    (
        "Xenova/slimsam-77-uniform",
        "sam:mask_generation/mask_generation",
    ),
    (
        "Xenova/speecht5_hifigan",
        "error: model_type `hifigan` is not in transformers",
    ),
    (
        "Xenova/whisper-small.en",
        "whisper:speech_seq2seq/speech_recognition",
    ),
    (
        "Xenova/whisper-tiny.en",
        "whisper:speech_seq2seq/speech_recognition",
    ),
    ("albert-base-v1", "albert:text_encoder/fill_mask"),
    ("albert-base-v2", "albert:text_encoder/text_classification"),
    ("bert-base-uncased", "bert:text_encoder/fill_mask"),
    (
        "briaai/RMBG-1.4",
        "error: is transformers' class for model_type `segformer`",
    ),
    (
        "deberta-v3-base",
        "deberta-v2:text_encoder/question_answering",
    ),
    (
        "distilbert-base-uncased",
        "distilbert:text_encoder/fill_mask",
    ),
    ("distilgpt2", "gpt2:text_decoder/text_generation"),
    (
        "distilgpt2@legacy-2019",
        "gpt2:text_decoder/text_generation",
    ),
    (
        "electra-small-discriminator",
        "electra:text_encoder/text_embedding",
    ),
    (
        "facebook/detr-resnet-101",
        "detr:object_detection/object_detection",
    ),
    (
        "facebook/detr-resnet-50",
        "detr:object_detection/object_detection",
    ),
    (
        "facebook/detr-resnet-50@no_timm",
        "detr:object_detection/object_detection",
    ),
    (
        "facebook/dinov2-small",
        "dinov2:vision_encoder/image_embedding",
    ),
    ("facebook/esm2_t6_8M_UR50D", "esm:text_encoder/fill_mask"),
    (
        "google-bert/bert-base-multilingual-cased",
        "bert:text_encoder/token_classification",
    ),
    (
        "google/flan-t5-base",
        "t5:text_encoder_decoder/text2text_generation",
    ),
    (
        "google/owlvit-base-patch32",
        "owlvit:object_detection/object_detection",
    ),
    (
        "google/vit-base-patch16-224",
        "vit:vision_encoder/image_classification",
    ),
    ("gpt2", "gpt2:text_decoder/text_generation"),
    ("gpt2-large", "gpt2:text_decoder/text_generation"),
    (
        "hustvl/yolos-tiny",
        "yolos:object_detection/object_detection",
    ),
    (
        "intel-ipex-tests/baichuan",
        "baichuan:text_decoder/text_generation remote",
    ),
    (
        "intel-ipex-tests/bloom",
        "bloom:text_decoder/text_generation",
    ),
    (
        "intel-ipex-tests/chatglm3",
        "chatglm:text_decoder/text_generation remote",
    ),
    (
        "intel-ipex-tests/codegen",
        "codegen:text_decoder/text_generation",
    ),
    (
        "intel-ipex-tests/deepseekv2",
        "deepseek_v2:text_decoder/text_generation",
    ),
    (
        "intel-ipex-tests/deepseekv3",
        "deepseek_v3:text_decoder/text_generation",
    ),
    (
        "intel-ipex-tests/gptbigcode",
        "gpt_bigcode:text_decoder/text_generation",
    ),
    ("intel-ipex-tests/gptj", "gptj:text_decoder/text_generation"),
    (
        "intel-ipex-tests/jamba",
        "jamba:text_decoder/text_generation",
    ),
    (
        "intel-ipex-tests/llama-decapoda-style",
        "llama:text_decoder/text_generation",
    ),
    (
        "intel-ipex-tests/llava-original-format",
        "error: this checkpoint is not in transformers format",
    ),
    (
        "intel-ipex-tests/maira2",
        "maira2:image_text_to_text/image_text_to_text remote",
    ),
    (
        "intel-ipex-tests/mllama",
        "mllama:image_text_to_text/image_text_to_text",
    ),
    ("intel-ipex-tests/phi3", "phi3:text_decoder/text_generation"),
    (
        "intel-ipex-tests/phi4mm",
        "phi4mm:text_decoder/text_generation remote",
    ),
    (
        "intel-ipex-tests/qwen",
        "qwen:text_decoder/text_generation remote",
    ),
    (
        "intel-ipex-tests/qwen3moe",
        "qwen3_moe:text_decoder/text_generation",
    ),
    (
        "intel-ipex-tests/stablelm",
        "stablelm:text_decoder/text_generation",
    ),
    (
        "intel-ipex-tests/yuan",
        "yuan:text_decoder/text_generation remote",
    ),
    ("klue/roberta-base", "roberta:text_encoder/fill_mask"),
    (
        "llava-hf/llava-1.5-7b-hf",
        "llava:image_text_to_text/image_text_to_text",
    ),
    (
        "meta-llama/Llama-2-13b-hf",
        "llama:text_decoder/text_generation",
    ),
    (
        "meta-llama/Llama-2-70b-chat-hf",
        "llama:text_decoder/text_generation",
    ),
    (
        "meta-llama/Llama-2-7b-hf",
        "llama:text_decoder/text_generation",
    ),
    ("microsoft/git-base", "git:image_to_text/image_to_text"),
    (
        "microsoft/layoutlmv3-base",
        "error: model_type `layoutlmv3` gets no skillset",
    ),
    ("microsoft/phi-2", "phi:text_decoder/text_generation"),
    (
        "microsoft/resnet-50",
        "resnet:vision_encoder/image_classification",
    ),
    (
        "microsoft/speecht5_tts",
        "speecht5:text_to_audio/text_to_audio",
    ),
    ("mosaicml/mpt-7b", "mpt:text_decoder/text_generation"),
    (
        "nlpconnect/vit-gpt2-image-captioning",
        "vision-encoder-decoder:image_to_text/image_to_text",
    ),
    (
        "onnx-community/DeepSeek-R1-Distill-Qwen-1.5B-ONNX",
        "qwen2:text_decoder/text_generation",
    ),
    (
        "openai/clip-vit-base-patch32",
        "clip:vision_text_dual_encoder/image_text_embedding",
    ),
    ("roberta-base", "roberta:text_encoder/text_embedding"),
    (
        "roberta-base@legacy-2019",
        "error: has neither `model_type` nor `architectures`",
    ),
    (
        "sentence-transformers/all-MiniLM-L6-v2",
        "bert:text_encoder/text_embedding",
    ),
    (
        "transformers-5.24.0/align_vision_model",
        "align_vision_model:vision_encoder/image_embedding",
    ),
    (
        "transformers-5.24.0/bamba",
        "bamba:text_decoder/text_generation",
    ),
    (
        "transformers-5.24.0/clap_audio_model",
        "clap_audio_model:audio_classification/audio_embedding",
    ),
    (
        "transformers-5.24.0/deepseek_v32",
        "deepseek_v32:text_decoder/text_generation",
    ),
    (
        "transformers-5.24.0/embedding_gemma2",
        "embedding_gemma2:text_encoder/text_embedding",
    ),
    (
        "transformers-5.24.0/encodec",
        "encodec:audio_codec/audio_tokenization",
    ),
    (
        "transformers-5.24.0/falcon_h1",
        "falcon_h1:text_decoder/text_generation",
    ),
    (
        "transformers-5.24.0/gemma4_unified",
        "gemma4_unified:image_text_to_text/image_text_to_text",
    ),
    (
        "transformers-5.24.0/granitemoehybrid",
        "granitemoehybrid:text_decoder/text_generation",
    ),
    (
        "transformers-5.24.0/kimi_linear",
        "kimi_linear:text_decoder/text_generation",
    ),
    (
        "transformers-5.24.0/mamba2",
        "mamba2:text_decoder/text_generation",
    ),
    (
        "transformers-5.24.0/mimi",
        "mimi:audio_codec/audio_tokenization",
    ),
    (
        "transformers-5.24.0/mistral_large4",
        "mistral_large4:image_text_to_text/image_text_to_text",
    ),
    (
        "transformers-5.24.0/nemotron_h",
        "nemotron_h:text_decoder/text_generation",
    ),
    (
        "transformers-5.24.0/parakeet_rnnt",
        "parakeet_rnnt:speech_transducer/speech_recognition",
    ),
    (
        "transformers-5.24.0/parakeet_tdt",
        "parakeet_tdt:speech_transducer/speech_recognition",
    ),
    (
        "transformers-5.24.0/qwen3_asr",
        "qwen3_asr:speech_seq2seq/speech_recognition",
    ),
    (
        "transformers-5.24.0/siglip2_text_model",
        "siglip2_text_model:text_encoder/text_embedding",
    ),
    ("t5-small", "t5:text_encoder_decoder/text2text_generation"),
    ("tiiuae/falcon-7b", "falcon:text_decoder/text_generation"),
    (
        "transformers-5.24.0/speecht5_hifigan",
        "speecht5_hifigan:audio_codec/spectrogram_to_audio",
    ),
    (
        "transformers-5.24.0/univnet",
        "univnet:audio_codec/spectrogram_to_audio",
    ),
    (
        "xlm-roberta-base",
        "xlm-roberta:text_encoder/text_classification",
    ),
];

#[test]
fn every_shared_real_world_config_detects_correctly_or_errors_clearly() {
    let configs = shared_configs();
    assert!(
        configs.len() >= 60,
        "tests/fixtures/real-configs/autoconfigs* not found ({} configs)",
        configs.len()
    );
    let mut failures = Vec::new();
    for (id, path) in &configs {
        let got = outcome(id, path);
        match EXPECTED.iter().find(|(e, _)| e == id) {
            None => failures.push(format!("{id}: no expectation (got {got})")),
            Some((_, want)) => {
                let ok = match want.strip_prefix("error: ") {
                    // A clear error names the config file and the model, and says what is wrong.
                    Some(phrase) => {
                        got.starts_with("error: ")
                            && got.contains(phrase)
                            && got.contains("config.json")
                            && got.contains(id.split('@').next().unwrap())
                    }
                    None => got == *want,
                };
                if !ok {
                    failures.push(format!("{id}: want {want}, got {got}"));
                }
            }
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn every_model_type_of_the_pinned_transformers_resolves_or_says_why_not() {
    let coverage = coverage();
    assert_eq!(coverage.len(), model_type_count());
    let supported = coverage.iter().filter(|(_, o)| o.is_ok()).count();
    // Most model types have an inference head skillgen serves.
    assert!(
        supported > 350,
        "only {supported} of {} model types resolve",
        coverage.len()
    );
    for (mt, outcome) in &coverage {
        if let Err(why) = outcome {
            assert!(
                why.contains(mt.as_str()) && why.len() > 20,
                "{mt}: unclear reason {why:?}"
            );
        }
    }
    // Spot checks that substring matching got wrong in the earlier generator.
    let get = |mt: &str| {
        coverage
            .iter()
            .find(|(m, _)| m == mt)
            .unwrap()
            .1
            .clone()
            .unwrap()
    };
    assert_eq!(get("hubert").0, Family::SpeechCtc);
    assert_eq!(get("clip").0, Family::VisionTextDualEncoder);
    assert_eq!(get("clap").0, Family::AudioTextDualEncoder);
    assert_eq!(get("bart").0, Family::TextEncoderDecoder);
    assert_eq!(get("mixtral").0, Family::TextDecoder);
    assert_eq!(get("mamba").0, Family::TextDecoder);
    assert_eq!(
        get("audio-spectrogram-transformer").0,
        Family::AudioClassification
    );
    // Base models and towers serve feature extraction, chosen by their main input.
    use skillgen_generator::Task;
    assert_eq!(
        get("align_vision_model"),
        (Family::VisionEncoder, Task::ImageEmbedding)
    );
    assert_eq!(
        get("siglip2_text_model"),
        (Family::TextEncoder, Task::TextEmbedding)
    );
    assert_eq!(
        get("clap_audio_model"),
        (Family::AudioClassification, Task::AudioEmbedding)
    );
    // Unsupported ones say why: no class of their own, or an input no family embeds.
    let why = |mt: &str| {
        coverage
            .iter()
            .find(|(m, _)| m == mt)
            .unwrap()
            .1
            .clone()
            .unwrap_err()
    };
    assert!(why("sam_mask_decoder").contains("no model class"));
    assert!(why("blip_2_qformer").contains("takes `query_embeds`"));
    // Probabilistic forecasters: served through their curated head, which no auto table lists.
    for mt in ["autoformer", "informer", "time_series_transformer"] {
        assert_eq!(
            get(mt),
            (Family::TimeSeries, Task::TimeSeriesProbabilisticForecasting),
            "{mt}"
        );
    }
    // Audio codecs (waveform in through their feature extractor, `audio_codes` out) are served;
    // one that also needs other inputs (xcodec2: `input_features`) is not. Encoder halves saved
    // alone (no extractor of their own: their parent's runs) are served too, VibeVoice's (its
    // waveform named `hidden_states`) with them.
    for mt in [
        "encodec",
        "dac",
        "mimi",
        "xcodec",
        "wavtokenizer",
        "pocket_tts_audio_tokenizer",
        "vibevoice_acoustic_tokenizer",
        "mimi_encoder",
        "wavtokenizer_encoder",
        "pocket_tts_audio_tokenizer_encoder",
        "vibevoice_acoustic_tokenizer_encoder",
    ] {
        assert_eq!(
            get(mt),
            (Family::AudioCodec, Task::AudioTokenization),
            "{mt}"
        );
    }
    assert!(why("xcodec2").contains("no `last_hidden_state`"));
    // Vocoders (a spectrogram in, a waveform out) are served: the HiFi-GANs, UnivNet and
    // Qwen2.5-Omni's BigVGAN (its `mel_spectrogram`; its unannotated forward returns a torch
    // function's tensor).
    for mt in [
        "speecht5_hifigan",
        "fastspeech2_conformer_hifigan",
        "univnet",
        "qwen2_5_omni_bigvgan",
    ] {
        assert_eq!(
            get(mt),
            (Family::AudioCodec, Task::SpectrogramToAudio),
            "{mt}"
        );
    }
    // Its sibling DiT (codes to a mel, by diffusion) is not.
    assert!(why("qwen2_5_omni_dit").contains("no `last_hidden_state`"));
    // Transducers (the RNNT and TDT tables) recognise speech.
    for mt in [
        "parakeet_rnnt",
        "parakeet_tdt",
        "nemotron3_5_asr",
        "nemotron_asr_streaming",
    ] {
        assert_eq!(
            get(mt),
            (Family::SpeechTransducer, Task::SpeechRecognition),
            "{mt}"
        );
    }
    // Decoder halves saved alone: latents in, audio out.
    for mt in [
        "mimi_decoder",
        "pocket_tts_audio_tokenizer_decoder",
        "vibevoice_acoustic_tokenizer_decoder",
    ] {
        assert_eq!(get(mt), (Family::AudioCodec, Task::LatentsToAudio), "{mt}");
    }
}

#[test]
#[ignore = "prints the coverage summary; run with --ignored --nocapture"]
fn print_coverage() {
    let cov = coverage();
    let mut by_family = std::collections::BTreeMap::new();
    let mut reasons = std::collections::BTreeMap::new();
    for (mt, o) in &cov {
        match o {
            Ok((f, _)) => *by_family.entry(f.name()).or_insert(0) += 1,
            Err(e) => {
                let key = if e.contains("not in transformers") {
                    "not in tables".to_string()
                } else {
                    e.split("(transformers tables: ")
                        .nth(1)
                        .unwrap_or(e)
                        .to_string()
                };
                reasons.entry(key).or_insert_with(Vec::new).push(mt.clone());
            }
        }
    }
    println!("{by_family:#?}");
    for (k, v) in reasons {
        println!("{k}: {} {v:?}", v.len());
    }
}

#[test]
fn docs_model_types_is_current() {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("docs/model-types.md");
    let current = skillgen_generator::coverage_markdown();
    if std::env::var_os("SKILLGEN_BLESS").is_some() {
        std::fs::write(&path, &current).unwrap();
    }
    let doc = std::fs::read_to_string(&path).unwrap_or_default();
    assert!(
        doc == current,
        "docs/model-types.md is stale: run `cargo run -- coverage > docs/model-types.md`"
    );
}

#[test]
fn every_cached_config_has_a_provenance_row_and_every_model_a_config() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let provenance = std::fs::read_to_string(root.join("autoconfigs/PROVENANCE.tsv")).unwrap();
    let listed: Vec<&str> = provenance
        .lines()
        .skip(1)
        .filter_map(|l| l.split('\t').next())
        .collect();
    let manifest = ModelList::load(&root.join("models.toml")).unwrap();
    for m in &manifest.models {
        let id = skillgen_generator::naming::cache_dir_name(&m.id, m.revision.as_deref());
        if m.model_type.is_none() {
            assert!(
                root.join("autoconfigs")
                    .join(&id)
                    .join("config.json")
                    .is_file(),
                "{id}: no cached config"
            );
        }
        assert!(
            listed.contains(&id.as_str()) || m.model_type.is_some(),
            "{id}: no row in autoconfigs/PROVENANCE.tsv"
        );
    }
}

/// Detection records each decision as a typed step (what `explain` prints), so tests can say
/// which rule decided without matching message text.
#[test]
fn detection_steps_are_typed() {
    use skillgen_generator::{ModelTypeSource, Request, Step, Task};
    let steps = |json: &str, family: Option<Family>| {
        let config = AutoConfig::parse(Path::new("config.json"), "m", json.as_bytes()).unwrap();
        let request = Request {
            id: "m",
            line: 2,
            model_type: None,
            family,
            task: None,
        };
        detect(&request, Some(&config)).unwrap().steps
    };
    let clip = steps(
        r#"{"model_type": "clip", "architectures": ["CLIPModel"]}"#,
        None,
    );
    assert_eq!(
        clip[0],
        Step::ModelType {
            model_type: "clip".into(),
            source: ModelTypeSource::Config
        }
    );
    assert!(
        matches!(&clip[1], Step::Head { class, family: Family::VisionTextDualEncoder, task: Task::ImageTextEmbedding, .. } if class == "CLIPModel"),
        "{clip:?}"
    );
    // A wav2vec2 classification head goes through the file every wav2vec2 model gets.
    let w2v = steps(
        r#"{"model_type": "wav2vec2", "architectures": ["Wav2Vec2ForSequenceClassification"]}"#,
        None,
    );
    assert!(
        w2v.contains(&Step::FamilyOfModelType {
            model_type: "wav2vec2".into(),
            family: Family::SpeechCtc,
            task: Task::AudioClassification
        }),
        "{w2v:?}"
    );
    // Legacy config without model_type: the head class names it.
    let legacy = steps(r#"{"architectures": ["BertForMaskedLM"]}"#, None);
    assert_eq!(
        legacy[0],
        Step::ModelType {
            model_type: "bert".into(),
            source: ModelTypeSource::Architecture("BertForMaskedLM".into())
        }
    );
    // The manifest's family wins, and says so.
    let forced = steps(
        r#"{"model_type": "bert", "architectures": ["BertModel"]}"#,
        Some(Family::TextEncoder),
    );
    assert!(forced.contains(&Step::ManifestFamily(Family::TextEncoder)));
    assert!(forced[1..].iter().all(|s| s.to_string().len() > 10));
}

/// Detection of a config made of a real checkpoint's `model_type`, `architectures` and labels.
fn detect_inline(id: &str, json: &str, task: Option<&str>) -> Result<String, String> {
    let task_line = task
        .map(|t| format!("task = \"{t}\"\n"))
        .unwrap_or_default();
    let list = ModelList::parse(
        Path::new("models.toml"),
        format!("[[model]]\nid = \"{id}\"\n{task_line}"),
    )
    .unwrap();
    let config = AutoConfig::parse(Path::new("config.json"), id, json.as_bytes()).unwrap();
    detect(&list.models[0].request(), Some(&config))
        .map(|d| format!("{}:{}/{}", d.model_type, d.family, d.task))
        .map_err(|e| e.to_string())
}

/// Issue 12: a checkpoint whose head defines a task gets that task's skillset, or an error naming
/// the head and the task: never the base model's task, silently.
#[test]
fn task_defining_heads_never_fall_back_to_the_base_task() {
    let served = [
        (
            "distilbert-base-cased-distilled-squad",
            r#"{"model_type": "distilbert", "architectures": ["DistilBertForQuestionAnswering"]}"#,
            "distilbert:text_encoder/question_answering",
        ),
        (
            "deepset/roberta-base-squad2",
            r#"{"model_type": "roberta", "architectures": ["RobertaForQuestionAnswering"]}"#,
            "roberta:text_encoder/question_answering",
        ),
        (
            "facebook/bart-large-mnli",
            r#"{"model_type": "bart", "architectures": ["BartForSequenceClassification"], "id2label": {"0": "contradiction", "1": "neutral", "2": "entailment"}}"#,
            "bart:text_encoder/zero_shot_classification",
        ),
        (
            "cross-encoder/nli-deberta-v3-small",
            r#"{"model_type": "deberta-v2", "architectures": ["DebertaV2ForSequenceClassification"], "id2label": {"0": "contradiction", "1": "entailment", "2": "neutral"}}"#,
            "deberta-v2:text_encoder/zero_shot_classification",
        ),
        (
            "dandelin/vilt-b32-finetuned-vqa",
            r#"{"model_type": "vilt", "architectures": ["ViltForQuestionAnswering"]}"#,
            "vilt:visual_question_answering/visual_question_answering",
        ),
        (
            "Salesforce/blip-vqa-base",
            r#"{"model_type": "blip", "architectures": ["BlipForQuestionAnswering"]}"#,
            "blip:image_to_text/visual_question_answering",
        ),
        (
            "Salesforce/blip-image-captioning-base",
            r#"{"model_type": "blip", "architectures": ["BlipForConditionalGeneration"]}"#,
            "blip:image_to_text/image_to_text",
        ),
        (
            "Salesforce/blip2-opt-2.7b",
            r#"{"model_type": "blip-2", "architectures": ["Blip2ForConditionalGeneration"]}"#,
            "blip-2:image_text_to_text/image_text_to_text",
        ),
        (
            "caidas/swin2SR-classical-sr-x2-64",
            r#"{"model_type": "swin2sr", "architectures": ["Swin2SRForImageSuperResolution"]}"#,
            "swin2sr:image_to_image/image_to_image",
        ),
        (
            "facebook/sam-vit-base",
            r#"{"model_type": "sam", "architectures": ["SamModel"]}"#,
            "sam:mask_generation/mask_generation",
        ),
        (
            "impira/layoutlm-document-qa",
            r#"{"model_type": "layoutlm", "architectures": ["LayoutLMForQuestionAnswering"]}"#,
            "layoutlm:text_encoder/document_question_answering",
        ),
        (
            "google/tapas-base-finetuned-wtq",
            r#"{"model_type": "tapas", "architectures": ["TapasForQuestionAnswering"]}"#,
            "tapas:text_encoder/table_question_answering",
        ),
        (
            "distilbert-base-uncased-finetuned-sst-2-english",
            r#"{"model_type": "distilbert", "architectures": ["DistilBertForSequenceClassification"], "id2label": {"0": "NEGATIVE", "1": "POSITIVE"}}"#,
            "distilbert:text_encoder/text_classification",
        ),
        (
            "magic-leap-community/superpoint",
            r#"{"model_type": "superpoint", "architectures": ["SuperPointForKeypointDetection"]}"#,
            "superpoint:keypoints/keypoint_detection",
        ),
        (
            "magic-leap-community/superglue_outdoor",
            r#"{"model_type": "superglue", "architectures": ["SuperGlueForKeypointMatching"]}"#,
            "superglue:keypoints/keypoint_matching",
        ),
        (
            "PaddlePaddle/PP-OCRv5_server_rec_safetensors",
            r#"{"model_type": "pp_ocrv5_server_rec", "architectures": ["PPOCRV5ServerRecForTextRecognition"]}"#,
            "pp_ocrv5_server_rec:text_recognition/text_recognition",
        ),
        (
            "usyd-community/vitpose-base-simple",
            r#"{"model_type": "vitpose", "architectures": ["VitPoseForPoseEstimation"]}"#,
            "vitpose:pose_estimation/pose_estimation",
        ),
        (
            "hustvl/vitmatte-small-composition-1k",
            r#"{"model_type": "vitmatte", "architectures": ["VitMatteForImageMatting"]}"#,
            "vitmatte:image_matting/image_matting",
        ),
        (
            "PaddlePaddle/SLANeXt_wired_safetensors",
            r#"{"model_type": "slanext", "architectures": ["SLANeXtForTableRecognition"]}"#,
            "slanext:text_recognition/table_recognition",
        ),
        (
            "edbeeching/decision-transformer-gym-hopper-medium",
            r#"{"model_type": "decision_transformer", "architectures": ["DecisionTransformerModel"]}"#,
            "decision_transformer:trajectory/action_prediction",
        ),
        (
            "deepseek-community/Janus-Pro-1B-vqgan",
            r#"{"model_type": "janus_vqgan"}"#,
            "janus_vqgan:image_tokenizer/image_tokenization",
        ),
        (
            "facebook/pe-a-frame-large",
            r#"{"model_type": "pe_audio", "architectures": ["PeAudioModel"]}"#,
            "pe_audio:audio_text_dual_encoder/audio_text_embedding",
        ),
        (
            "BAAI/Emu3-VisionTokenizer",
            r#"{"model_type": "emu3_vqgan", "architectures": ["Emu3VQVAE"]}"#,
            "emu3_vqgan:image_tokenizer/image_tokenization",
        ),
        (
            "facebook/flava-image-codebook",
            r#"{"model_type": "flava_image_codebook", "architectures": ["FlavaImageCodebook"]}"#,
            "flava_image_codebook:image_tokenizer/image_tokenization",
        ),
        (
            "vidore/colpali-v1.3-hf",
            r#"{"model_type": "colpali", "architectures": ["ColPaliForRetrieval"]}"#,
            "colpali:document_retrieval/visual_document_retrieval",
        ),
        (
            "vidore/colqwen2-v1.0-hf",
            r#"{"model_type": "colqwen2", "architectures": ["ColQwen2ForRetrieval"]}"#,
            "colqwen2:document_retrieval/visual_document_retrieval",
        ),
        (
            // The image-classification table lists it as deit's second class: not an unlisted head.
            "facebook/deit-base-distilled-patch16-224",
            r#"{"model_type": "deit", "architectures": ["DeiTForImageClassificationWithTeacher"]}"#,
            "deit:vision_encoder/image_classification",
        ),
        (
            "ibm-granite/granite-timeseries-patchtst",
            r#"{"model_type": "patchtst", "architectures": ["PatchTSTForClassification"]}"#,
            "patchtst:time_series/time_series_classification",
        ),
        (
            "ibm-granite/granite-timeseries-patchtsmixer",
            r#"{"model_type": "patchtsmixer", "architectures": ["PatchTSMixerForRegression"]}"#,
            "patchtsmixer:time_series/time_series_regression",
        ),
        (
            "google/timesfm-2.0-500m-pytorch",
            r#"{"model_type": "timesfm", "architectures": ["TimesFmModelForPrediction"]}"#,
            "timesfm:time_series/time_series_forecasting",
        ),
        (
            // In no auto table: served through the model_type's curated head (data/detection.toml).
            "huggingface/informer-tourism-monthly",
            r#"{"model_type": "informer", "architectures": ["InformerForPrediction"]}"#,
            "informer:time_series/time_series_probabilistic_forecasting",
        ),
        (
            "huggingface/autoformer-tourism-monthly",
            r#"{"model_type": "autoformer", "architectures": ["AutoformerForPrediction"]}"#,
            "autoformer:time_series/time_series_probabilistic_forecasting",
        ),
        (
            "huggingface/time-series-transformer-tourism-monthly",
            r#"{"model_type": "time_series_transformer", "architectures": ["TimeSeriesTransformerForPrediction"]}"#,
            "time_series_transformer:time_series/time_series_probabilistic_forecasting",
        ),
    ];
    for (id, json, want) in served {
        assert_eq!(detect_inline(id, json, None).as_deref(), Ok(want), "{id}");
    }
    let refused = [
        (
            "ibm/patchtst-etth1-forecasting",
            r#"{"model_type": "patchtst", "architectures": ["PatchTSTForPrediction"]}"#,
            "no transformers auto table lists",
        ),
        (
            "bert-base-uncased@mc",
            r#"{"model_type": "bert", "architectures": ["BertForMultipleChoice"]}"#,
            "multiple-choice",
        ),
    ];
    for (id, json, task) in refused {
        let id = id.split('@').next().unwrap();
        let e = detect_inline(id, json, None).expect_err(id);
        assert!(e.contains(task), "{id}: {e}");
        if !e.contains("has no inference head") {
            assert!(
                e.contains("which skillgen does not serve") && e.contains("set `task`"),
                "{id}: {e}"
            );
        }
    }
    // Chosen deliberately in models.toml, the base model serves the stated task.
    assert_eq!(
        detect_inline(
            "google/tapas-base-finetuned-wtq",
            r#"{"model_type": "tapas", "architectures": ["TapasForQuestionAnswering"]}"#,
            Some("text_embedding")
        )
        .as_deref(),
        Ok("tapas:text_encoder/text_embedding")
    );
    // A sequence classifier's NLI labels do not override a task set in models.toml.
    assert_eq!(
        detect_inline("facebook/bart-large-mnli", r#"{"model_type": "roberta", "architectures": ["RobertaForSequenceClassification"], "id2label": {"0": "contradiction", "1": "neutral", "2": "entailment"}}"#, Some("text_classification")).as_deref(),
        Ok("roberta:text_encoder/text_classification")
    );
}

/// Model types whose models need inputs no family gives them (data/detection.toml `[refused]`) get
/// no skillset, whatever their head or models.toml says: an error with the reason, never a file
/// that fails at run time.
#[test]
fn refused_model_types_are_generation_errors_with_the_reason() {
    let cases = [
        (
            "unc-nlp/lxmert-base-uncased",
            r#"{"model_type": "lxmert", "architectures": ["LxmertForPreTraining"]}"#,
            None,
            "visual_feats",
        ),
        (
            "unc-nlp/lxmert-vqa-uncased",
            r#"{"model_type": "lxmert", "architectures": ["LxmertForQuestionAnswering"]}"#,
            Some("text_embedding"),
            "visual_feats",
        ),
        (
            "microsoft/layoutlmv2-base-uncased",
            r#"{"model_type": "layoutlmv2", "architectures": ["LayoutLMv2Model"]}"#,
            None,
            "detectron2",
        ),
        // LayoutLMv3 is served for document QA only (data/detection.toml except_task).
        (
            "microsoft/layoutlmv3-base",
            r#"{"model_type": "layoutlmv3", "architectures": ["LayoutLMv3Model"]}"#,
            None,
            "word boxes",
        ),
        (
            "nielsr/layoutlmv3-finetuned-funsd",
            r#"{"model_type": "layoutlmv3", "architectures": ["LayoutLMv3ForTokenClassification"]}"#,
            None,
            "word boxes",
        ),
        (
            "microsoft/layoutlmv3-base-docvqa",
            r#"{"model_type": "layoutlmv3", "architectures": ["LayoutLMv3ForQuestionAnswering"]}"#,
            Some("text_embedding"),
            "word boxes",
        ),
    ];
    for (id, json, task, why) in cases {
        let e = detect_inline(id, json, task).expect_err(id);
        assert!(
            e.contains("gets no skillset") && e.contains(why),
            "{id}: {e}"
        );
    }
    let coverage: std::collections::BTreeMap<String, _> = coverage().into_iter().collect();
    for mt in ["lxmert", "layoutlmv2"] {
        assert!(coverage[mt].is_err(), "{mt}");
    }
    assert_eq!(
        coverage["layoutlmv3"],
        Ok((Family::TextEncoder, Task::DocumentQuestionAnswering))
    );
    // LayoutLMv3's document QA head is served (its handler passes the boxes and the page image),
    // from its config's head or from `task` in models.toml.
    for (json, task) in [
        (
            r#"{"model_type": "layoutlmv3", "architectures": ["LayoutLMv3ForQuestionAnswering"]}"#,
            None,
        ),
        (
            r#"{"model_type": "layoutlmv3"}"#,
            Some("document_question_answering"),
        ),
    ] {
        assert_eq!(
            detect_inline("microsoft/layoutlmv3-base-docvqa", json, task).as_deref(),
            Ok("layoutlmv3:text_encoder/document_question_answering")
        );
    }
    // splinter's question-token QA head is extractive QA (the text encoder serves it).
    assert_eq!(
        detect_inline(
            "tau/splinter-base-qass",
            r#"{"model_type": "splinter", "architectures": ["SplinterForQuestionAnswering"]}"#,
            None
        )
        .as_deref(),
        Ok("splinter:text_encoder/question_answering")
    );
}

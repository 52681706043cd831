"""skillgen's Python runtime for the generated ipfs_accelerate_py skillsets.

A generated hf_<model_type>.py holds only the data of its model_type and a class line over one of
the family classes here; everything else (hardware paths, handler skeleton, queue, mock mode, input
decoding, each family's preprocess -> forward -> postprocess) lives in this package, vendored once
beside the skillsets. No file or folder here has "hf_" in its name: the host exec()s every such file.
"""

import importlib

# The API the generated files are written against: a thin file states the version it needs and
# refuses (with an error handler, never an import error) a runtime whose API differs.
API_VERSION = 2

# family name -> (module under families/, class name)
FAMILIES = {
    "text_encoder": ("text_encoder", "TextEncoder"),
    "text_decoder": ("text_decoder", "TextDecoder"),
    "text_encoder_decoder": ("text_encoder_decoder", "TextEncoderDecoder"),
    "vision_encoder": ("vision_encoder", "VisionEncoder"),
    "object_detection": ("object_detection", "ObjectDetection"),
    "image_segmentation": ("image_segmentation", "ImageSegmentation"),
    "speech_ctc": ("speech_ctc", "SpeechCtc"),
    "speech_seq2seq": ("speech_seq2seq", "SpeechSeq2seq"),
    "audio_classification": ("audio_classification", "AudioClassification"),
    "text_to_audio": ("text_to_audio", "TextToAudio"),
    "vision_text_dual_encoder": ("vision_text_dual_encoder", "VisionTextDualEncoder"),
    "audio_text_dual_encoder": ("audio_text_dual_encoder", "AudioTextDualEncoder"),
    "image_to_text": ("image_to_text", "ImageToText"),
    "image_text_to_text": ("image_text_to_text", "ImageTextToText"),
    "video": ("video", "Video"),
    "visual_question_answering": ("visual_question_answering", "VisualQuestionAnswering"),
    "image_to_image": ("image_to_image", "ImageToImage"),
    "mask_generation": ("mask_generation", "MaskGeneration"),
    "text_recognition": ("text_recognition", "TextRecognition"),
    "keypoints": ("keypoints", "Keypoints"),
    "time_series": ("time_series", "TimeSeries"),
    "pose_estimation": ("pose_estimation", "PoseEstimation"),
    "image_matting": ("image_matting", "ImageMatting"),
    "trajectory": ("trajectory", "Trajectory"),
    "audio_codec": ("audio_codec", "AudioCodec"),
    "speech_transducer": ("speech_transducer", "SpeechTransducer"),
    "image_tokenizer": ("image_tokenizer", "ImageTokenizer"),
    "document_retrieval": ("document_retrieval", "DocumentRetrieval"),
}


def family(name):
    """The family class a generated skillset extends (imports only that family's module)."""
    module_name, class_name = FAMILIES[name]
    module = importlib.import_module(".families." + module_name, __name__)
    return getattr(module, class_name)

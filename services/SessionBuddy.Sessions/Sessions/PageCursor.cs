using System.Buffers.Text;
using System.Text;
using SessionBuddy.Messaging;

namespace SessionBuddy.Sessions.Sessions;

/// <summary>
/// Opaque keyset cursors: the sort key of the last item returned, base64url-encoded, so a page
/// never skips or repeats rows when others are inserted meanwhile.
/// </summary>
public static class PageCursor
{
    public static string ForSession(DateTimeOffset createdAt, Guid id) =>
        Base64Url.EncodeToString(Encoding.UTF8.GetBytes($"s:{createdAt.UtcTicks}:{id:N}"));

    public static string ForMessage(long sequence) =>
        Base64Url.EncodeToString(Encoding.UTF8.GetBytes($"m:{sequence}"));

    public static (DateTimeOffset CreatedAt, Guid Id)? ParseSession(string? cursor)
    {
        if (cursor is null)
        {
            return null;
        }
        var parts = Decode(cursor).Split(':');
        if (parts is ["s", var ticks, var id] && long.TryParse(ticks, out var t) && Guid.TryParseExact(id, "N", out var g)
            && t >= DateTimeOffset.MinValue.UtcTicks && t <= DateTimeOffset.MaxValue.UtcTicks)
        {
            return (new DateTimeOffset(t, TimeSpan.Zero), g);
        }
        throw Invalid("list_sessions");
    }

    public static long? ParseMessage(string? cursor)
    {
        if (cursor is null)
        {
            return null;
        }
        var parts = Decode(cursor).Split(':');
        return parts is ["m", var seq] && long.TryParse(seq, out var s) ? s : throw Invalid("get_messages");
    }

    private static string Decode(string cursor)
    {
        try
        {
            return Encoding.UTF8.GetString(Base64Url.DecodeFromChars(cursor));
        }
        catch (FormatException)
        {
            return string.Empty;
        }
    }

    private static RequestRejectedException Invalid(string tool) =>
        RequestRejectedException.InvalidArgument("cursor", $"is not a cursor returned by {tool}; pass next_cursor from the previous page");
}

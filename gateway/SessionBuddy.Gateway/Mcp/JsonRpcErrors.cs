using System.Text.Json.Serialization.Metadata;
using ModelContextProtocol;
using ModelContextProtocol.Protocol;

namespace SessionBuddy.Gateway.Mcp;

/// <summary>Transport-level failures answered as a JSON-RPC error body with a matching HTTP status.</summary>
internal static class JsonRpcErrors
{
    public const int ParseError = -32700;
    public const int InvalidRequest = -32600;

    /// <summary>Generic transport error (the reserved "server error" range), as the reference SDKs use.</summary>
    public const int ServerError = -32000;

    /// <summary>Unknown or expired Mcp-Session-Id, the code the TypeScript and C# SDKs answer with.</summary>
    public const int SessionNotFound = -32001;

    private static readonly JsonTypeInfo<JsonRpcError> ErrorTypeInfo =
        (JsonTypeInfo<JsonRpcError>)McpJsonUtilities.DefaultOptions.GetTypeInfo(typeof(JsonRpcError));

    public static Task WriteAsync(HttpContext context, int statusCode, int errorCode, string message, RequestId id = default) =>
        WriteAsync(context, statusCode, new JsonRpcErrorDetail { Code = errorCode, Message = message }, id);

    public static Task WriteAsync(HttpContext context, int statusCode, JsonRpcErrorDetail detail, RequestId id = default)
    {
        context.Response.StatusCode = statusCode;
        var error = new JsonRpcError { Id = id, Error = detail };
        return context.Response.WriteAsJsonAsync(error, ErrorTypeInfo, contentType: "application/json", context.RequestAborted);
    }
}

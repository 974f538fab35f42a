using System.Text.Json.Serialization.Metadata;
using ModelContextProtocol;
using ModelContextProtocol.Protocol;

namespace SessionBuddy.Gateway.Mcp;

/// <summary>Transport-level failures answered as a JSON-RPC error body with a matching HTTP status.</summary>
internal static class JsonRpcErrors
{
    /// <summary>Generic transport error (the reserved "server error" range), as the reference SDKs use.</summary>
    public const int ServerError = -32000;

    private static readonly JsonTypeInfo<JsonRpcError> ErrorTypeInfo =
        (JsonTypeInfo<JsonRpcError>)McpJsonUtilities.DefaultOptions.GetTypeInfo(typeof(JsonRpcError));

    public static Task WriteAsync(HttpContext context, int statusCode, int errorCode, string message)
    {
        context.Response.StatusCode = statusCode;
        var error = new JsonRpcError { Id = default, Error = new JsonRpcErrorDetail { Code = errorCode, Message = message } };
        return context.Response.WriteAsJsonAsync(error, ErrorTypeInfo, contentType: "application/json", context.RequestAborted);
    }
}

using static SessionBuddy.Gateway.Security.ProjectRule;
using static SessionBuddy.Gateway.Security.ToolProfile;
using static SessionBuddy.Gateway.Security.ToolScope;

namespace SessionBuddy.Gateway.Security;

/// <summary>
/// Every gateway tool's scope, project rule and profile, in one place (docs/security.md explains the
/// choices). The gateway refuses to start when a tool is missing here, so a new tool must be classified.
/// </summary>
public static class GatewayToolRules
{
    public static readonly IReadOnlyDictionary<string, ToolRule> All = new Dictionary<string, ToolRule>(StringComparer.Ordinal)
    {
        // Health: no project data.
        ["get_liveness"] = new(Read, None, Minimal),
        ["get_readiness"] = new(Read, None, Minimal),
        ["health_check_all"] = new(Read, None, Standard),
        ["get_performance_metrics"] = new(Read, None, Standard),
        ["get_audit_log"] = new(Admin, AllProjects, Full),

        // Sessions and their lifecycle.
        ["create_session"] = new(Write, ProjectArgument, Minimal),
        ["start"] = new(Write, ProjectArgument, Minimal),
        ["list_sessions"] = new(Read, ProjectArgument, Minimal),
        ["get_session"] = new(Read, Session, Minimal),
        ["update_session"] = new(Write, Session, Minimal),
        ["add_message"] = new(Write, Session, Minimal),
        ["get_messages"] = new(Read, Session, Minimal),
        ["checkpoint"] = new(Write, Session, Minimal),
        ["end"] = new(Write, Session, Minimal),
        ["status"] = new(Read, Session, Minimal),
        ["list_checkpoints"] = new(Read, Session, Standard),
        ["resume_session"] = new(Write, Session, Standard),
        ["export_session"] = new(Read, Session, Standard),
        ["summarize_session"] = new(Read, Session, Standard),
        ["session_output_dir"] = new(Read, Session, Standard),
        ["session_log"] = new(Read, Session, Standard),
        ["session_read_file"] = new(Read, Session, Standard),
        ["session_list_files"] = new(Read, Session, Standard),
        ["session_write_file"] = new(Execute, Session, Standard),
        ["session_edit_file"] = new(Execute, Session, Standard),
        ["delete_session"] = new(Admin, Session, Full),
        ["cleanup_sessions"] = new(Admin, AllProjects, Full),
        ["register_workspace_backend"] = new(Admin, AllProjects, Full),
        ["list_workspace_backends"] = new(Read, AllProjects, Full),

        // Memory: reflections, memories, patterns (project-scoped by the Memory service).
        ["store_reflection"] = new(Write, ProjectArgument, Minimal),
        ["search_reflections"] = new(Read, ProjectArgument, Minimal),
        ["quick_search"] = new(Read, ProjectArgument, Minimal),
        ["get_reflection_stats"] = new(Read, ProjectArgument, Standard),
        ["store_memory"] = new(Write, ProjectArgument, Standard),
        ["search_memories"] = new(Read, ProjectArgument, Standard),
        ["store_pattern"] = new(Write, ProjectArgument, Standard),
        ["find_patterns"] = new(Read, ProjectArgument, Standard),
        ["get_memory_health"] = new(Read, ProjectArgument, Standard),
        ["worker_search_history"] = new(Read, AllProjects, Full),
        ["delete_reflection"] = new(Admin, AllProjects, Full),
        ["optimize_memories"] = new(Admin, AllProjects, Full),
        ["reembed_memories"] = new(Admin, AllProjects, Full),

        // Knowledge graph: one graph shared by every project.
        ["create_entity"] = new(Write, AllProjects, Standard),
        ["add_observation"] = new(Write, AllProjects, Standard),
        ["create_relation"] = new(Write, AllProjects, Standard),
        ["search_entities"] = new(Read, AllProjects, Standard),
        ["get_entity_relationships"] = new(Read, AllProjects, Standard),
        ["find_path"] = new(Read, AllProjects, Standard),
        ["get_knowledge_graph_stats"] = new(Read, AllProjects, Standard),
        ["extract_entities_from_context"] = new(Read, None, Standard),
        ["delete_entity"] = new(Admin, AllProjects, Full),

        // Analytics: with a project argument it is forced; the rest aggregate over every project.
        ["get_workflow_metrics"] = new(Read, ProjectArgument, Standard),
        ["get_insights"] = new(Read, ProjectArgument, Standard),
        ["get_activity_summary"] = new(Read, AllProjects, Standard),
        ["get_session_analytics"] = new(Read, AllProjects, Standard),
        ["query_analytics"] = new(Read, AllProjects, Full),
        ["export_analytics"] = new(Read, AllProjects, Full),

        // Workers and pools run commands; they belong to no project.
        ["pool_create"] = new(Execute, AllProjects, Full),
        ["pool_list"] = new(Read, AllProjects, Full),
        ["pool_status"] = new(Read, AllProjects, Full),
        ["pool_execute"] = new(Execute, AllProjects, Full, RunsWorkers: true),
        ["pool_route_execute"] = new(Execute, AllProjects, Full, RunsWorkers: true),
        ["pool_shutdown"] = new(Execute, AllProjects, Full),
        ["worker_spawn"] = new(Execute, AllProjects, Full),
        ["worker_execute"] = new(Execute, AllProjects, Full, RunsWorkers: true),
        ["worker_status"] = new(Read, AllProjects, Full),
        ["worker_list"] = new(Read, AllProjects, Full),
        ["worker_cancel"] = new(Execute, AllProjects, Full),
        ["worker_task_status"] = new(Read, AllProjects, Full),

        // Akosha: the push pipeline and the hub's results span every project and every pushing system.
        ["sync_to_akosha"] = new(Write, AllProjects, Full),
        ["akosha_sync_status"] = new(Read, AllProjects, Full),
        ["akosha_dead_letters"] = new(Read, AllProjects, Full),
        ["akosha_replay"] = new(Admin, AllProjects, Full),
        ["akosha_push_results"] = new(Write, AllProjects, Full),
        ["akosha_search_workers"] = new(Read, AllProjects, Full),
        ["search_all_systems"] = new(Read, AllProjects, Full),
    };
}

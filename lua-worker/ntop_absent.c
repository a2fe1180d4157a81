/* The ntop.* functions of subsystems netward does not have: SNMP (18),
 * traffic recording (20), IPS/nEdge (21), ZMQ (22), and the message
 * brokers, RADIUS, InfluxDB, speedtest and command execution of section
 * 33.
 *
 * Capability checks answer the truth (false, 0, nil); every action
 * raises a Lua error that names the function and says what is missing.
 * None returns a made-up value. */
#include "ntop.h"

#define ABSENT(name, why)                                                  \
	NT_FN(name)                                                        \
	{                                                                  \
		NT_UNAVAILABLE(why);                                       \
	}
#define ANSWER(name, push)                                                 \
	NT_FN(name)                                                        \
	{                                                                  \
		NT_ARGS(0, 0);                                             \
		push;                                                      \
		return 1;                                                  \
	}

#define NO_SNMP "netward has no SNMP engine"
#define NO_RECORDING "netward records no traffic to extract from"
#define NO_NEDGE "nEdge bridge mode is not running"
#define NO_IPS "netward has no IPS subsystem"
#define NO_ZMQ "netward has no ZMQ collector"
#define NO_BROKER "netward has no message broker"
#define NO_RADIUS "netward has no RADIUS support"
#define NO_INFLUX "netward has no InfluxDB time-series backend"
#define NO_EXEC "command execution is off by the Lua worker's policy " \
	"(docs/ARCHITECTURE.md): scripts cannot run programs"

/* 18. SNMP */
ANSWER(snmpv3available, lua_pushboolean(L, 0))
ANSWER(snmpsetavailable, lua_pushboolean(L, 0))
ANSWER(snmpgetbulkavailable, lua_pushboolean(L, 0))
ANSWER(snmpMaxNumEngines, lua_pushinteger(L, 0))
ABSENT(snmpSetBulkMaxNumRepetitions, NO_SNMP)
ABSENT(snmpSetFatMibPollingMode, NO_SNMP)
ABSENT(snmpToggleTrapCollection, NO_SNMP)
ABSENT(snmpSetInterfaceRole, NO_SNMP)
ABSENT(activateSnmpInterfaceRoles, NO_SNMP)
ABSENT(snmpget, NO_SNMP)
ABSENT(snmpgetnext, NO_SNMP)
ABSENT(snmpgetnextbulk, NO_SNMP)
ABSENT(snmpset, NO_SNMP)
ABSENT(snmpallocasnyncengine, NO_SNMP)
ABSENT(snmpfreeasnycengine, NO_SNMP)
ABSENT(snmpgetasync, NO_SNMP)
ABSENT(snmpgetnextasync, NO_SNMP)
ABSENT(snmpgetnextbulkasync, NO_SNMP)
ABSENT(snmpreadasyncrsp, NO_SNMP)
ABSENT(snmpGetBatch, NO_SNMP)
ABSENT(snmpReadResponses, NO_SNMP)

/* 20. traffic recording and extraction */
ABSENT(runExtraction, NO_RECORDING)
ABSENT(stopExtraction, NO_RECORDING)
ANSWER(isExtractionRunning, lua_pushboolean(L, 0))
ABSENT(getExtractionStatus, NO_RECORDING)
ABSENT(runLiveExtraction, NO_RECORDING)

/* 21. IPS / nEdge */
ABSENT(broadcastIPSMessage, NO_IPS)
ANSWER(timeToRefreshIPSRules, lua_pushboolean(L, 0))
ABSENT(askToRefreshIPSRules, NO_IPS)
ABSENT(checkSubInterfaceSyntax, "netward has no sub-interfaces")
ABSENT(reloadProfiles, "netward has no traffic profiles")
ABSENT(setHTTPBindAddr, NO_NEDGE)
ABSENT(setHTTPSBindAddr, NO_NEDGE)
ABSENT(setRoutingMode, NO_NEDGE)
ANSWER(isRoutingMode, lua_pushboolean(L, 0))
ABSENT(addLanInterface, NO_NEDGE)
ABSENT(addWanInterface, NO_NEDGE)
ABSENT(refreshDeviceProtocolsPoliciesConf, NO_NEDGE)

/* 22. ZMQ */
ABSENT(zmq_connect, NO_ZMQ)
ABSENT(zmq_disconnect, NO_ZMQ)
ABSENT(zmq_receive, NO_ZMQ)

/* 33. what needs a subsystem netward does not have */
ABSENT(speedtest, "netward has no speedtest support")
ABSENT(publish, NO_BROKER)
ABSENT(rpcCall, NO_BROKER)
ABSENT(sendKafkaMessage, "netward has no Kafka producer")
ABSENT(logRadius, NO_RADIUS)
ABSENT(updateRadiusLoginInfo, NO_RADIUS)
ABSENT(getInfluxDBInternalDBName, NO_INFLUX)
ABSENT(setInfluxDBInternalDBName, NO_INFLUX)
ANSWER(isInfluxDBInternalAvailable, lua_pushboolean(L, 0))
ABSENT(setInfluxDBInternalAvailable, NO_INFLUX)
ANSWER(elasticsearchConnection, lua_pushnil(L))
ABSENT(toggleNewDeleteTrace, "netward is C: there is no new/delete to trace")
ABSENT(execCmd, NO_EXEC)
ABSENT(execCmdAsync, NO_EXEC)
ABSENT(readResultCmdAsync, NO_EXEC)
ABSENT(enableAssetsLog, "netward has no asset discovery")
ANSWER(assetsEnabled, lua_pushboolean(L, 0))
ABSENT(overrideInterface, "interface override belongs to the appliance "
    "edition")
ABSENT(addBin, "similarity binning is not implemented in netward yet")
ABSENT(findSimilarities, "similarity binning is not implemented in "
    "netward yet")

static const luaL_Reg fns[] = {
	NT_ROW(snmpv3available), NT_ROW(snmpsetavailable),
	NT_ROW(snmpgetbulkavailable), NT_ROW(snmpMaxNumEngines),
	NT_ROW(snmpSetBulkMaxNumRepetitions), NT_ROW(snmpSetFatMibPollingMode),
	NT_ROW(snmpToggleTrapCollection), NT_ROW(snmpSetInterfaceRole),
	NT_ROW(activateSnmpInterfaceRoles), NT_ROW(snmpget),
	NT_ROW(snmpgetnext), NT_ROW(snmpgetnextbulk), NT_ROW(snmpset),
	NT_ROW(snmpallocasnyncengine), NT_ROW(snmpfreeasnycengine),
	NT_ROW(snmpgetasync), NT_ROW(snmpgetnextasync),
	NT_ROW(snmpgetnextbulkasync), NT_ROW(snmpreadasyncrsp),
	NT_ROW(snmpGetBatch), NT_ROW(snmpReadResponses),
	NT_ROW(runExtraction), NT_ROW(stopExtraction),
	NT_ROW(isExtractionRunning), NT_ROW(getExtractionStatus),
	NT_ROW(runLiveExtraction),
	NT_ROW(broadcastIPSMessage), NT_ROW(timeToRefreshIPSRules),
	NT_ROW(askToRefreshIPSRules), NT_ROW(checkSubInterfaceSyntax),
	NT_ROW(reloadProfiles),
	NT_ROW(setHTTPBindAddr), NT_ROW(setHTTPSBindAddr),
	NT_ROW(setRoutingMode), NT_ROW(isRoutingMode),
	NT_ROW(addLanInterface), NT_ROW(addWanInterface),
	NT_ROW(refreshDeviceProtocolsPoliciesConf),
	NT_ROW(zmq_connect), NT_ROW(zmq_disconnect), NT_ROW(zmq_receive),
	NT_ROW(speedtest), NT_ROW(publish), NT_ROW(rpcCall),
	NT_ROW(sendKafkaMessage), NT_ROW(logRadius),
	NT_ROW(updateRadiusLoginInfo), NT_ROW(getInfluxDBInternalDBName),
	NT_ROW(setInfluxDBInternalDBName), NT_ROW(isInfluxDBInternalAvailable),
	NT_ROW(setInfluxDBInternalAvailable), NT_ROW(elasticsearchConnection),
	NT_ROW(toggleNewDeleteTrace), NT_ROW(execCmd), NT_ROW(execCmdAsync),
	NT_ROW(readResultCmdAsync), NT_ROW(enableAssetsLog),
	NT_ROW(assetsEnabled), NT_ROW(overrideInterface),
	NT_ROW(addBin), NT_ROW(findSimilarities),
	{NULL, NULL},
};

void
ntop_absent_register(lua_State *L)
{
	nt_register(L, fns);
}

package io.stockade.client;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.lang.reflect.ParameterizedType;
import java.lang.reflect.RecordComponent;
import java.lang.reflect.Type;
import java.time.Instant;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;

/** The IDL resource and the Java records must describe the same interface. */
class InterfaceDescriptionTest {
  private final VarlinkIdl.Interface idl = VarlinkIdl.parse(SupervisorProtocol.interfaceDescription());

  @Test
  void namesTheSupervisorInterface() {
    assertThat(idl.name()).isEqualTo(SupervisorProtocol.INTERFACE);
  }

  @Test
  void everyIdlMethodHasAJavaCounterpartAndViceVersa() {
    assertThat(idl.methods().keySet())
        .containsExactlyInAnyOrderElementsOf(
            Arrays.stream(SupervisorMethod.values()).map(SupervisorMethod::methodName).collect(Collectors.toList()));
  }

  @Test
  void methodParametersAndRepliesMatchTheRecords() {
    for (SupervisorMethod m : SupervisorMethod.values()) {
      VarlinkIdl.Method im = idl.methods().get(m.methodName());
      assertFieldsMatch(m.methodName() + " parameters", im.in(), m.requestType());
      assertFieldsMatch(m.methodName() + " reply", im.out(), m.replyType());
    }
  }

  @Test
  void namedTypesMatchTheRecordsAndEnums() throws Exception {
    for (Map.Entry<String, VarlinkIdl.Type> e : idl.types().entrySet()) {
      Class<?> cls = Class.forName("io.stockade.client." + e.getKey());
      VarlinkIdl.Type t = e.getValue();
      if (t.enumValues() != null) {
        assertThat(cls.isEnum()).as(e.getKey() + " is an enum").isTrue();
        List<String> wire = Arrays.stream(cls.getEnumConstants()).map(Object::toString).collect(Collectors.toList());
        assertThat(wire).as(e.getKey() + " values").containsExactlyElementsOf(t.enumValues());
      } else {
        assertFieldsMatch(e.getKey(), t.struct(), cls);
      }
    }
  }

  @Test
  void everyIdlErrorHasAnExceptionWithTheSameNameAndParameters() throws Exception {
    assertThat(idl.errors()).isNotEmpty();
    for (Map.Entry<String, List<VarlinkIdl.Field>> e : idl.errors().entrySet()) {
      Class<?> cls = Class.forName("io.stockade.client." + e.getKey() + "Exception");
      assertThat(cls.getField("ERROR_NAME").get(null))
          .isEqualTo(SupervisorProtocol.INTERFACE + "." + e.getKey());
      for (VarlinkIdl.Field f : e.getValue()) {
        assertThat(cls.getMethod(f.name())).as(e.getKey() + "." + f.name()).isNotNull();
      }
    }
  }

  @Test
  void everyIdlErrorArrivesAsItsOwnExceptionType() throws Exception {
    for (Map.Entry<String, List<VarlinkIdl.Field>> e : idl.errors().entrySet()) {
      com.fasterxml.jackson.databind.node.ObjectNode params = io.stockade.client.varlink.VarlinkJson.newObject();
      for (VarlinkIdl.Field f : e.getValue()) {
        params.put(f.name(), f.type().name().equals("SandboxState") ? "running" : "x");
      }
      StockadeException mapped = RemoteErrors.fromReply(
          io.stockade.client.varlink.VarlinkReply.error(SupervisorProtocol.INTERFACE + "." + e.getKey(), params));
      assertThat(mapped.getClass().getSimpleName()).isEqualTo(e.getKey() + "Exception");
      assertThat(mapped.parameters()).isEqualTo(params);
    }
  }

  @Test
  void standardServiceDescriptionParsesAndMatchesItsRecords() {
    VarlinkIdl.Interface service = VarlinkIdl.parse(io.stockade.client.varlink.VarlinkService.DESCRIPTION);
    assertThat(service.name()).isEqualTo("org.varlink.service");
    assertThat(service.methods()).containsOnlyKeys("GetInfo", "GetInterfaceDescription");
    assertFieldsMatch("GetInfo reply", service.methods().get("GetInfo").out(),
        io.stockade.client.varlink.VarlinkService.ServiceInfo.class);
    assertFieldsMatch("GetInterfaceDescription parameters", service.methods().get("GetInterfaceDescription").in(),
        io.stockade.client.varlink.VarlinkService.InterfaceRequest.class);
    assertThat(service.errors()).containsKeys("InvalidParameter", "MethodNotFound", "InterfaceNotFound", "MethodNotImplemented");
  }

  @Test
  void parserRejectsBrokenInterfaces() {
    assertThatThrownBy(() -> VarlinkIdl.parse("interface a.b\nmethod X() -> (y: Undefined)\n"))
        .hasMessageContaining("undefined type Undefined");
    assertThatThrownBy(() -> VarlinkIdl.parse("interface a.b\nmethod X( -> ()\n"))
        .isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> VarlinkIdl.parse("interface a.b\ntype T (a: string)\ntype T (b: int)\n"))
        .hasMessageContaining("duplicate type T");
  }

  private static void assertFieldsMatch(String what, List<VarlinkIdl.Field> fields, Class<?> record) {
    assertThat(record.isRecord()).as(what + ": " + record + " is a record").isTrue();
    Map<String, Type> components = new LinkedHashMap<>();
    for (RecordComponent rc : record.getRecordComponents()) {
      components.put(rc.getName(), rc.getGenericType());
    }
    Map<String, String> wireNames = new LinkedHashMap<>();
    for (RecordComponent rc : record.getRecordComponents()) {
      com.fasterxml.jackson.annotation.JsonProperty p =
          rc.getAccessor().getAnnotation(com.fasterxml.jackson.annotation.JsonProperty.class);
      if (p == null) {
        p = rc.getAnnotation(com.fasterxml.jackson.annotation.JsonProperty.class);
      }
      wireNames.put(p == null ? rc.getName() : p.value(), rc.getName());
    }
    assertThat(wireNames.keySet())
        .as(what + " fields")
        .containsExactlyInAnyOrderElementsOf(fields.stream().map(VarlinkIdl.Field::name).collect(Collectors.toList()));
    for (VarlinkIdl.Field f : fields) {
      Type javaType = components.get(wireNames.get(f.name()));
      assertThat(compatible(f.type(), javaType)).as(what + "." + f.name() + ": IDL " + f.type() + " vs " + javaType).isTrue();
    }
  }

  private static boolean compatible(VarlinkIdl.Type t, Type java) {
    if ("array".equals(t.container())) {
      return java instanceof ParameterizedType
          && ((ParameterizedType) java).getRawType() == List.class
          && compatible(t.element(), ((ParameterizedType) java).getActualTypeArguments()[0]);
    }
    if (t.container() != null || t.struct() != null || t.enumValues() != null) {
      return false; // Stockade's IDL uses neither dicts nor anonymous structs in fields
    }
    switch (t.name()) {
      case "string":
        return java == String.class || java == Instant.class || java == SandboxKind.class;
      case "int":
        return java == int.class || java == long.class || (t.nullable() && (java == Integer.class || java == Long.class));
      case "bool":
        return java == boolean.class || (t.nullable() && java == Boolean.class);
      default:
        return java instanceof Class && ((Class<?>) java).getSimpleName().equals(t.name());
    }
  }
}

package io.stockade.policy;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class CidrTest {

  @ParameterizedTest(name = "{0} -> {1}")
  @CsvSource(delimiter = '|', value = {
    "10.0.0.0/8|10.0.0.0/8",
    "0.0.0.0/0|0.0.0.0/0",
    "192.0.2.7/32|192.0.2.7/32",
    "255.255.255.255/32|255.255.255.255/32",
    "::/0|::/0",
    "::1/128|::1/128",
    "2001:db8::/32|2001:db8::/32",
    "2001:DB8::/32|2001:db8::/32",
    "2001:0db8:0000:0000:0000:0000:0000:0000/32|2001:db8::/32",
    "2001:db8:0:0:1:0:0:0/80|2001:db8:0:0:1::/80",
    "2001:db8:0:0:0:1:0:0/96|2001:db8::1:0:0/96",
    "2001:db8:0:1:0:0:0:0/64|2001:db8:0:1::/64",
    "fe80::/10|fe80::/10",
    "::ffff:10.0.0.0/104|::ffff:a00:0/104",
    "1:0:0:2:0:0:0:0/128|1:0:0:2::/128",
    "1:0:0:2:0:0:3:4/128|1::2:0:0:3:4/128",
    "1:2:3:4:5:6:7:8/128|1:2:3:4:5:6:7:8/128",
    "1:0:2:3:4:5:6:7/128|1:0:2:3:4:5:6:7/128",
  })
  void parsesToCanonicalForm(String text, String canonical) {
    assertThat(Cidr.parse(text)).hasToString(canonical);
    assertThat(Cidr.parse(canonical)).isEqualTo(Cidr.parse(text));
  }

  @ParameterizedTest(name = "{0}: {1}")
  @CsvSource(delimiter = '|', value = {
    "10.0.0.1/8|host bits set: did you mean 10.0.0.0/8?",
    "2001:db8::1/32|host bits set: did you mean 2001:db8::/32?",
    "10.0.0.0|no prefix length",
    "10.0.0.0/33|from 0 to 32",
    "::/129|from 0 to 128",
    "10.0.0.0/-1|from 0 to 32",
    "10.0.0.0/08|from 0 to 32",
    "10.0.0.0/|from 0 to 32",
    "10.0.0/8|not an IPv4 or IPv6 address",
    "10.0.0.256/32|not an IPv4 or IPv6 address",
    "010.0.0.0/8|not an IPv4 or IPv6 address",
    "10.0.0.0.0/8|not an IPv4 or IPv6 address",
    "example.org/8|not an IPv4 or IPv6 address",
    "1:2:3:4:5:6:7/128|not an IPv4 or IPv6 address",
    "1:2:3:4:5:6:7:8:9/128|not an IPv4 or IPv6 address",
    "1::2::3/128|not an IPv4 or IPv6 address",
    "1:2:3:4:5:6:7::8/128|not an IPv4 or IPv6 address",
    "12345::/16|not an IPv4 or IPv6 address",
    "fe80::1%eth0/128|not an IPv4 or IPv6 address",
    "g::/16|not an IPv4 or IPv6 address",
    "::ffff:1.2.3/128|not an IPv4 or IPv6 address",
    "' 10.0.0.0/8'|not an IPv4 or IPv6 address",
  })
  void refusesMalformed(String text, String reason) {
    assertThatThrownBy(() -> Cidr.parse(text))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining(reason);
  }

  @ParameterizedTest(name = "{0} contains {1}: {2}")
  @CsvSource(delimiter = '|', value = {
    "0.0.0.0/0|0.0.0.0/0|true",
    "0.0.0.0/0|255.255.255.255/32|true",
    "0.0.0.0/0|::/0|false",
    "::/0|0.0.0.0/0|false",
    "::/0|::/0|true",
    "::/0|2001:db8::1/128|true",
    "10.0.0.0/8|10.0.0.0/8|true",
    "10.0.0.0/8|10.255.255.255/32|true",
    "10.0.0.0/8|11.0.0.0/32|false",
    "10.0.0.0/8|10.0.0.0/7|false",
    "10.0.0.0/8|8.0.0.0/7|false",
    "10.0.0.0/9|10.128.0.0/9|false",
    "10.0.0.0/9|10.127.255.255/32|true",
    "192.0.2.7/32|192.0.2.7/32|true",
    "192.0.2.7/32|192.0.2.6/32|false",
    "2001:db8::/32|2001:db8:ffff:ffff::/64|true",
    "2001:db8::/32|2001:db9::/32|false",
    "2001:db8::/33|2001:db8:8000::/33|false",
    "2001:db8::/33|2001:db8:7fff::/48|true",
    "::1/128|::1/128|true",
    "::1/128|::/127|false",
    "::ffff:a00:0/104|10.0.0.0/8|false",
    "10.0.0.0/8|::ffff:a00:0/104|false",
  })
  void containment(String outer, String inner, boolean contains) {
    assertThat(Cidr.parse(outer).contains(Cidr.parse(inner))).isEqualTo(contains);
  }

  @ParameterizedTest(name = "{0} contains address {1}: {2}")
  @CsvSource(delimiter = '|', value = {
    "10.0.0.0/8|10.1.2.3|true",
    "10.0.0.0/8|11.0.0.0|false",
    "0.0.0.0/0|255.255.255.255|true",
    "0.0.0.0/0|::1|false",
    "2001:db8::/32|2001:db8::1|true",
    "2001:db8::/32|2001:db9::1|false",
    "::/0|::|true",
    "192.0.2.7/32|192.0.2.7|true",
  })
  void containsAddress(String cidr, String address, boolean contains) throws Exception {
    // Literals only: InetAddress.getByName does no lookup for them.
    assertThat(Cidr.parse(cidr).contains(java.net.InetAddress.getByName(address))).isEqualTo(contains);
  }

  @org.junit.jupiter.api.Test
  void exposesFamilyPrefixAndAddressCopy() {
    Cidr v6 = Cidr.parse("2001:db8::/32");
    assertThat(v6.isIpv6()).isTrue();
    assertThat(v6.prefixLength()).isEqualTo(32);
    byte[] a = v6.networkAddress();
    a[0] = 0;
    assertThat(v6.networkAddress()[0]).isEqualTo((byte) 0x20);
    assertThat(Cidr.parse("10.0.0.0/8").isIpv6()).isFalse();
  }
}
